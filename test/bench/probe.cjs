// Preloaded (`node --require`) into the server under test by the load benchmark (test/bench), so
// the product needs no hook: reports event-loop delay, live handles and RSS over the IPC channel.
// Not product code.
const { monitorEventLoopDelay } = require('node:perf_hooks');

// The histogram records the time between timer runs, resolution included; lag is what exceeds it.
const RESOLUTION_MS = 10;
const lag = (ns) => Math.max(0, ns / 1e6 - RESOLUTION_MS);

if (process.send) {
  const delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  delay.enable();
  process.channel.unref();
  process.on('message', (message) => {
    if (message?.type === 'probe-reset') delay.reset();
    if (message?.type === 'probe-read') {
      process.send({
        type: 'probe',
        loopDelayMs: { mean: lag(delay.mean), p50: lag(delay.percentile(50)), p99: lag(delay.percentile(99)), max: lag(delay.max) },
        handles: process.getActiveResourcesInfo().length,
        rss: process.memoryUsage.rss(),
      });
    }
  });
}
