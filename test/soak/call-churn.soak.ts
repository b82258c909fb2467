import v8 from 'node:v8';
import vm from 'node:vm';
import { it } from 'vitest';
import { FakeTwilioCall } from '@app/simulators';
import { CallRegistry } from '@app/orchestration';
import { startGateway, TEST_TWILIO_AUTH_TOKEN } from '../support/gateway-harness';
import { expectNothingLeaked, handleCounts } from '../support/leak-check';

/**
 * Soak: churns thousands of short calls through the real gateway (a fraction of them losing their
 * OpenAI session mid-call and reconnecting) and prints RSS, heap and handle counts at the end.
 * Run with `npm run soak`; SOAK_CALLS and SOAK_CONCURRENCY tune it. Not part of `npm test`.
 */
const TOTAL = Number(process.env.SOAK_CALLS ?? 2000);
const CONCURRENCY = Number(process.env.SOAK_CONCURRENCY ?? 20);
const DROP_EVERY = 10;

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

function heapAfterGc(): number {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
  return process.memoryUsage().heapUsed;
}

it(`churns ${TOTAL} short calls, ${CONCURRENCY} at a time`, { timeout: 60 * 60 * 1000 }, async () => {
  const gateway = await startGateway({ LOG_LEVEL: 'silent', OPENAI_MAX_RECONNECTS_PER_CALL: '2' });
  const registry = gateway.app.get(CallRegistry);
  const baseline = handleCounts();
  const rssBefore = process.memoryUsage().rss;
  const started = Date.now();
  let next = 0;
  let completed = 0;
  let failed = 0;
  let drops = 0;

  const oneCall = async (n: number) => {
    // Not gateway.newCall(): the harness would keep every call (and its recorded audio) alive. Like
    // Twilio: the signed webhook first (for the stream token), then the signed stream.
    const call = new FakeTwilioCall({
      url: gateway.mediaStreamUrl,
      headers: gateway.streamUpgradeHeaders,
      webhook: { url: `${gateway.httpUrl}/incoming-call`, authToken: TEST_TWILIO_AUTH_TOKEN },
    });
    try {
      await call.connect();
      if (n % DROP_EVERY === 0) {
        // Drop some call's OpenAI socket (whichever is open): that call must reconnect and carry on.
        const open = gateway.simulator.sessions.filter((s) => s.isOpen && s.inputAudio().length > 0);
        if (open.length > 0) {
          open[Math.floor(Math.random() * open.length)].closeFromServer(1011, 'soak drop');
          drops++;
        }
      }
      await call.waitForAudio(8000, 10_000);
      call.hangUp();
      await call.waitForClose(5000);
      completed++;
    } catch {
      failed++;
      call.drop();
    }
  };

  let heapWarm = 0;
  const worker = async () => {
    while (next < TOTAL) {
      const n = next++;
      await oneCall(n);
      // The simulator records every session's audio for tests; forget the finished ones so only the gateway is measured.
      if (n % 100 === 0) {
        const sessions = gateway.simulator.sessions;
        for (let i = sessions.length - 1; i >= 0; i--) if (!sessions[i].isOpen) sessions.splice(i, 1);
      }
      if (n === Math.floor(TOTAL / 10)) heapWarm = heapAfterGc();
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  await expectNothingLeaked(gateway, 2, 15_000).catch((error: Error) => console.error(error.message));

  const seconds = (Date.now() - started) / 1000;
  const heapEnd = heapAfterGc();
  const memory = process.memoryUsage();
  const handles = handleCounts();
  console.log(
    [
      `soak: ${completed}/${TOTAL} calls completed (${failed} failed; ${drops} OpenAI sockets dropped mid-call) in ${seconds.toFixed(1)} s (${(completed / seconds).toFixed(1)} calls/s)`,
      `soak: RSS ${mb(rssBefore)} -> ${mb(memory.rss)}; heap after GC ${mb(heapWarm)} (after ${Math.floor(TOTAL / 10)} calls) -> ${mb(heapEnd)} (after ${TOTAL})`,
      `soak: live calls ${registry.size}, open OpenAI sessions ${gateway.simulator.sessions.filter((s) => s.isOpen).length}`,
      `soak: timers ${baseline.timers} -> ${handles.timers}, sockets ${baseline.sockets} -> ${handles.sockets}, active resources ${process.getActiveResourcesInfo().length}`,
    ].join('\n'),
  );
  await gateway.close();
});
