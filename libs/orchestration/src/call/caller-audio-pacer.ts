/** µ-law at 8 kHz: 8 bytes per millisecond of audio. */
const BYTES_PER_MS = 8;
/** Audio a caller may send ahead of real time at once (network jitter, a burst after a stall). */
const BURST_MS = 2000;

/**
 * Caller audio to OpenAI at most `maxRate` times real time: a token bucket in bytes of µ-law,
 * refilled at `maxRate` × 8 bytes/ms, holding at most a couple of seconds. A real caller (1×, with
 * jitter) never notices; a flood (1,000 s of audio in a second, which OpenAI would bill) is cut to
 * the rate and the excess dropped (and counted by the call). The clock is read only when the bucket runs dry (about
 * once per burst at 1×), so a frame costs a subtraction and a comparison.
 */
export class CallerAudioPacer {
  private tokens: number;
  private refilledAt: number;
  private readonly bytesPerMs: number;
  private readonly capacity: number;

  constructor(
    maxRate: number,
    private readonly now: () => number = Date.now,
  ) {
    this.bytesPerMs = maxRate * BYTES_PER_MS;
    this.capacity = BURST_MS * BYTES_PER_MS;
    this.tokens = this.capacity;
    this.refilledAt = now();
  }

  /** True when `bytes` of audio may go to OpenAI now; false when they come too fast (the caller drops them). */
  admit(bytes: number): boolean {
    if (this.tokens >= bytes) {
      this.tokens -= bytes;
      return true;
    }
    const now = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + (now - this.refilledAt) * this.bytesPerMs);
    this.refilledAt = now;
    if (this.tokens >= bytes) {
      this.tokens -= bytes;
      return true;
    }
    return false;
  }

  /**
   * Audio sent that was not the caller's (silence filling a gap in the caller's media): spent from
   * the bucket, never refused, so the caller's next frames wait for it. Without this, a stream whose
   * timestamps jump at every frame would have each frame padded with seconds of billed silence.
   */
  spendMs(ms: number): void {
    this.tokens -= ms * BYTES_PER_MS;
  }
}
