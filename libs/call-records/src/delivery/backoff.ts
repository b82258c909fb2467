const MAX_DELAY_MS = 60_000;

/** Exponential backoff with ±20 % jitter: initial, 2×, 4× … capped at 60 s. */
export function backoffDelay(initialMs: number, failures: number): number {
  const base = Math.min(MAX_DELAY_MS, initialMs * 2 ** Math.max(0, failures - 1));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

/** An HTTP answer worth trying again later: the receiver failed (5xx), timed out (408) or asked to slow down (429). */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}
