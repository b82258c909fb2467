import { CallRegistry } from '@app/orchestration';
import type { GatewayHarness } from './gateway-harness';

/** Counts of the handle kinds a call could leak (timers and sockets). */
export function handleCounts(): { timers: number; sockets: number } {
  const resources = process.getActiveResourcesInfo();
  return {
    timers: resources.filter((r) => r === 'Timeout').length,
    sockets: resources.filter((r) => r === 'TCPSocketWrap').length,
  };
}

/**
 * Waits until every call has ended, every OpenAI session is closed and the process holds no timer
 * and no socket at all (an idle gateway has none; `spareSockets` allows e.g. an HTTP keep-alive
 * connection to the fake Twilio REST API). Fails naming what is still there.
 */
export async function expectNothingLeaked(gateway: GatewayHarness, spareSockets = 0, timeoutMs = 5000): Promise<void> {
  const registry = gateway.app.get(CallRegistry);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = handleCounts();
    const open = gateway.simulator.sessions.filter((s) => s.isOpen).length;
    if (registry.all().length === 0 && open === 0 && now.timers === 0 && now.sockets <= spareSockets) return;
    if (Date.now() > deadline) {
      throw new Error(
        `leak: ${registry.all().length} live calls or streams, ${open} open OpenAI sessions, ${now.timers} timers, ${now.sockets} sockets (${spareSockets} allowed)`,
      );
    }
    // setImmediate, not a timer: the wait itself must not count as a timer.
    await new Promise((resolve) => setImmediate(resolve));
  }
}
