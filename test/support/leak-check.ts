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
 * Waits until every call has ended, every OpenAI session is closed and the process holds no more
 * timers or sockets than before the calls (plus `spareSockets`, e.g. an HTTP keep-alive connection).
 */
export async function expectNothingLeaked(
  gateway: GatewayHarness,
  baseline: { timers: number; sockets: number },
  spareSockets = 0,
  timeoutMs = 5000,
): Promise<void> {
  const registry = gateway.app.get(CallRegistry);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = handleCounts();
    const open = gateway.simulator.sessions.filter((s) => s.isOpen).length;
    if (registry.size === 0 && open === 0 && now.timers <= baseline.timers && now.sockets <= baseline.sockets + spareSockets) return;
    if (Date.now() > deadline) {
      throw new Error(
        `leak: ${registry.size} live calls, ${open} open OpenAI sessions, ` +
          `timers ${now.timers} (baseline ${baseline.timers}), sockets ${now.sockets} (baseline ${baseline.sockets} + ${spareSockets})`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
