// Preloaded (`node --require`) into the server under test by the load benchmark (test/bench), so
// the product needs no hook: reports event-loop lag, GC pauses, heap spaces, live handles and RSS
// over the IPC channel. Not product code.
const { monitorEventLoopDelay, PerformanceObserver } = require('node:perf_hooks');
const v8 = require('node:v8');

// The histogram records the time between timer runs, resolution included; lag is what exceeds it.
const RESOLUTION_MS = 10;
const lag = (ns) => Math.max(0, ns / 1e6 - RESOLUTION_MS);

if (process.send) {
  const delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  delay.enable();
  const fresh = () => ({ count: 0, totalMs: 0, maxMs: 0, majorCount: 0, majorMaxMs: 0 });
  let gc = fresh();
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gc.count++;
      gc.totalMs += entry.duration;
      if (entry.duration > gc.maxMs) gc.maxMs = entry.duration;
      if (entry.detail?.kind !== 1 /* minor (scavenge) */) {
        gc.majorCount++;
        if (entry.duration > gc.majorMaxMs) gc.majorMaxMs = entry.duration;
      }
    }
  }).observe({ entryTypes: ['gc'] });
  process.channel.unref();
  process.on('message', (message) => {
    if (message?.type === 'probe-reset') {
      delay.reset();
      gc = fresh();
    }
    if (message?.type === 'probe-read') {
      const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, Math.round(s.space_size / 1024)]));
      process.send({
        type: 'probe',
        loopDelayMs: { mean: lag(delay.mean), p50: lag(delay.percentile(50)), p99: lag(delay.percentile(99)), max: lag(delay.max) },
        gc: { ...gc },
        heapSpacesKB: spaces,
        handles: process.getActiveResourcesInfo().length,
        rss: process.memoryUsage.rss(),
      });
    }
  });
}
