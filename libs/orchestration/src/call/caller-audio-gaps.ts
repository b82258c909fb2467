/** µ-law at 8 kHz: 8 bytes per millisecond. */
const BYTES_PER_MS = 8;
/** Silence is filled in whole Twilio frames. */
const FRAME_MS = 20;
/** Silence appended for one gap at most (quiet and timestamp jumps together). */
export const MAX_GAP_FILL_MS = 2000;
/** How often the shared ticker looks at every call (see CallTicker). */
export const GAP_TICK_MS = 100;
/** Quiet ticks in a row (no caller frame) before silence is appended: at least 500 ms without media. */
const QUIET_TICKS_BEFORE_FILL = 5;

/** µ-law silence (0xFF), base64, precomputed: the only allocation padding needs is none. */
export const MULAW_SILENCE_20_MS = Buffer.alloc(FRAME_MS * BYTES_PER_MS, 0xff).toString('base64');
export const MULAW_SILENCE_100_MS = Buffer.alloc(100 * BYTES_PER_MS, 0xff).toString('base64');

/**
 * Keeps the model's audio clock the call's. OpenAI measures every audio position (server VAD,
 * `audio_start_ms`, truncation) in audio appended, not in time: when Twilio's media stops or its
 * timestamps jump, nothing is appended, server VAD never hears the end of the caller's turn, and
 * positions fall behind the call. This fills such gaps with µ-law silence, bounded per gap, and
 * pads nothing while frames arrive in step.
 *
 * Two ways a gap shows:
 * - **timestamps jump** (`frame`): a frame's `media.timestamp` is ahead of the audio appended so
 *   far; the difference (whole frames) is silence to append before the frame.
 * - **media stops** (`tick`, from one timer shared by all calls): after 500 ms without a frame the
 *   audio missing by then (480 ms), then 100 ms per tick in real time, so server VAD can end the turn without
 *   waiting for media to resume. When frames come back, their timestamps tell how much is still
 *   missing; what was already filled is not filled twice.
 *
 * Frames that were late rather than lost (a stall, then a burst with no timestamp jump) cannot be
 * un-appended: the model then runs ahead of the call, and the next jump is absorbed by that lead
 * before anything more is filled. Pure arithmetic: no timers, no allocation per frame.
 */
export class CallerAudioGaps {
  /** Audio handed to the model since the first frame (caller frames and silence), in ms. */
  private appendedMs = 0;
  /** The call's timestamp of the first frame, moved forward by whatever a bounded gap gave up. */
  private origin = Number.NaN;
  /** Silence appended in the current gap (reset by every frame). */
  private gapFilledMs = 0;
  private framesAtLastTick = 0;
  private quietTicks = 0;

  /**
   * A caller frame of `bytes` with Twilio's `timestampMs` (NaN when unknown) is about to be
   * appended. Returns how much silence (ms, whole frames) to append before it.
   */
  frame(timestampMs: number, bytes: number): number {
    let fillMs = 0;
    if (timestampMs === timestampMs) {
      if (this.origin !== this.origin) this.origin = timestampMs - this.appendedMs;
      const behindMs = timestampMs - this.origin - this.appendedMs;
      if (behindMs >= FRAME_MS) {
        const budgetMs = MAX_GAP_FILL_MS - this.gapFilledMs;
        // The bound: what exceeds it is given up, not carried to the next frame.
        if (behindMs > budgetMs) this.origin += behindMs - budgetMs;
        fillMs = Math.floor((behindMs < budgetMs ? behindMs : budgetMs) / FRAME_MS) * FRAME_MS;
      }
    }
    this.gapFilledMs = 0;
    this.appendedMs += fillMs + bytes / BYTES_PER_MS;
    return fillMs;
  }

  /**
   * The shared ticker, every GAP_TICK_MS; `framesFromCaller` is the call's frame counter. Returns
   * how much silence (ms) to append now.
   */
  tick(framesFromCaller: number): number {
    if (framesFromCaller !== this.framesAtLastTick || framesFromCaller === 0) {
      this.framesAtLastTick = framesFromCaller;
      this.quietTicks = 0;
      return 0;
    }
    this.quietTicks++;
    if (this.quietTicks < QUIET_TICKS_BEFORE_FILL) return 0;
    // The first fill catches up the quiet time known so far, less the one frame's wait that is no
    // gap (frames are 20 ms apart); then real time, tick by tick. It never fills more than is missing.
    const wantMs = this.quietTicks === QUIET_TICKS_BEFORE_FILL ? QUIET_TICKS_BEFORE_FILL * GAP_TICK_MS - FRAME_MS : GAP_TICK_MS;
    const budgetMs = MAX_GAP_FILL_MS - this.gapFilledMs;
    const fillMs = Math.floor((wantMs < budgetMs ? wantMs : budgetMs) / FRAME_MS) * FRAME_MS;
    this.gapFilledMs += fillMs;
    this.appendedMs += fillMs;
    return fillMs;
  }
}
