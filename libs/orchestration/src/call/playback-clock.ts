/** µ-law at 8 kHz: 8 bytes per millisecond of audio. */
const BYTES_PER_MS = 8;

/** Defaults chosen from the measurements in playback-clock.spec.ts (see the class comment). */
export const DEFAULT_MARK_INTERVAL_MS = 300;
export const DEFAULT_MIN_ECHO_GRACE_MS = 250;
/** The grace before the first echo has shown how late this stream's echoes are. */
const INITIAL_ECHO_GRACE_MS = 750;
/** The grace is this many times the worst lag of the last ECHO_LAGS_KEPT echoes. */
const ECHO_GRACE_FACTOR = 3;
const ECHO_LAGS_KEPT = 8;
/** Finished items remembered for `heard()` after their audio is done. */
const REMEMBERED_ITEMS = 8;

export interface PlaybackClockOptions {
  /** Milliseconds of a monotonic clock (default `performance.now`). Injected so tests run in virtual time. */
  now?: () => number;
  /** A mark is sent once at least this much audio went out since the last one (and at each item's end). */
  markIntervalMs?: number;
  /**
   * The least time past the model's expectation a mark echo may take before the clock concludes
   * that Twilio is not playing as modelled. The grace itself is learned from the stream's echoes
   * (see learnEchoLag); this floor keeps a run of prompt echoes from making it twitchy.
   */
  minEchoGraceMs?: number;
}

/** What to do with one assistant item when the caller barges in. */
export interface PlaybackCut {
  itemId: string;
  /** Milliseconds of the item the caller heard (integer, never more than was sent). 0: nothing heard. */
  playedMs: number;
  /** Milliseconds of the item sent to Twilio so far. */
  sentMs: number;
}

export interface PlaybackInterruption {
  /** Audio is still queued at Twilio: send `clear`. False when everything sent has already played. */
  clear: boolean;
  /**
   * In playing order, each item not fully heard: truncate it at `playedMs`, or delete it when
   * `playedMs` is 0. An item still being generated is cut even when all its sent audio was heard
   * (the model may hold more of it than reached Twilio). A complete item heard to its end is absent.
   */
  cuts: PlaybackCut[];
}

/** How much of one item was sent and heard. */
export interface ItemPlayback {
  playedMs: number;
  sentMs: number;
}

interface ItemSpan {
  itemId: string;
  /** Queue positions (bytes since the clock started) of the item's first and past-last byte. */
  start: number;
  end: number;
  /** No more audio will come for it (finishItem, a later item started, or a barge-in cut it). */
  complete: boolean;
}

interface PendingMark {
  name: string;
  /** Queue position the mark follows: its echo proves playback reached it. */
  position: number;
  /** When the model says playback reaches `position`. */
  expectedAt: number;
}

/**
 * Knows, at any instant, how much assistant audio the caller has heard, by modelling Twilio's
 * playback queue: each chunk starts playing when it arrives or when the previous one ends,
 * whichever is later, and plays at 8 bytes of µ-law per ms. Since chunks are sent at `now`, at
 * most one run of back-to-back playback is unfinished at a time, so the model is three numbers:
 * where the current run started (time and queue position) and how much has been sent.
 *
 * Why send time and not "send time + network latency": the `clear` that ends playback travels the
 * same path as the audio. If audio reaches Twilio L ms after it is sent, playback runs L ms behind
 * the model, and a `clear` sent at the barge-in instant also arrives L ms later, so what had played
 * when it arrives is exactly what the model says at the barge-in instant. Only the jitter of L (a
 * few ms on one TCP connection) is error.
 *
 * Mark echoes anchor and correct the model. An echo proves that playback reached the mark's
 * position at some time before the echo arrived (echoes travel back 50-150 ms late, randomly), so
 * it is a lower bound, never the estimate: taking the echo time as the playback time would make
 * every estimate late by the echo delay. The model is already an upper bound of sorts (audio cannot
 * play before it is sent), so an echo can prove it wrong in one direction only: when the model says
 * the mark's position has not played yet, the model is moved forward to the echo.
 *
 * The other direction cannot be proven, only suspected: when the oldest pending mark's echo is
 * overdue by more than a grace learned from the stream's echoes, Twilio is not playing as modelled
 * (stalled, or the network holds the echoes). The clock then believes no more than up to that mark,
 * and when the late echo comes it restarts the model from the echo (the latest moment that mark can
 * have played: conservative; later echoes move it forward again). Marks echoed because of a `clear` prove
 * nothing: `interrupt()` forgets every pending mark, so their echoes are ignored.
 *
 * Marks cost a message each way, so they go out only where they earn it: one per
 * `markIntervalMs` of audio (they bound the error when Twilio stalls and prove the audio plays)
 * and one at each item's end (`finishItem`: proof that the last words were heard, for hang-up and
 * transfer), not one per delta. Mark names are short decimal tokens.
 */
export class PlaybackClock {
  private readonly now: () => number;
  private readonly markIntervalBytes: number;
  private readonly minEchoGraceMs: number;
  private lastNow = -Infinity;
  /** Lags of the last echoes behind the model (ms), and the grace they give (see overdue). */
  private readonly echoLags = new Float64Array(ECHO_LAGS_KEPT);
  private echoCount = 0;
  private graceMs: number;

  /** Bytes sent to Twilio so far (the queue position of the end of the queue). */
  private sent = 0;
  /** The unfinished run of back-to-back playback: it started at this time from this position. */
  private runStartAt = -Infinity;
  private runStartPos = 0;
  /** Highest position a mark echo has proven played. */
  private proven = 0;
  private bytesSinceMark = 0;
  private markCounter = 0;
  private pending: PendingMark[] = [];
  /** Items with audio not yet known to be done, in playing order; the last one gets new audio. */
  private spans: ItemSpan[] = [];
  private current?: ItemSpan;
  private readonly finished = new Map<string, ItemPlayback>();

  constructor(options: PlaybackClockOptions = {}) {
    this.now = options.now ?? (() => performance.now());
    this.markIntervalBytes = (options.markIntervalMs ?? DEFAULT_MARK_INTERVAL_MS) * BYTES_PER_MS;
    this.minEchoGraceMs = options.minEchoGraceMs ?? DEFAULT_MIN_ECHO_GRACE_MS;
    // Until the stream's own echo delay is known, a generous grace (see learnEchoLag).
    this.graceMs = Math.max(this.minEchoGraceMs, INITIAL_ECHO_GRACE_MS);
  }

  /**
   * Audio of an item was just forwarded to Twilio. Returns the name of a mark to send right after
   * it, or undefined when no mark is due. Hot path: arithmetic only, no allocation without a mark.
   */
  audioSent(itemId: string, bytes: number): string | undefined {
    const now = this.time();
    let span = this.current;
    if (span === undefined || span.itemId !== itemId) span = this.startSpan(itemId, now);
    // The queue had drained: this chunk starts a new run the moment it arrives.
    if (now >= this.runEndsAt()) {
      this.runStartAt = now;
      this.runStartPos = this.sent;
    }
    this.sent += bytes;
    span.end = this.sent;
    this.bytesSinceMark += bytes;
    return this.bytesSinceMark >= this.markIntervalBytes ? this.placeMark() : undefined;
  }

  /**
   * The item has no more audio (its last delta was sent). Returns a mark to send if audio went out
   * since the last mark, so its echo proves the item was heard to the end.
   */
  finishItem(itemId: string): string | undefined {
    for (const span of this.spans) if (span.itemId === itemId) span.complete = true;
    return this.bytesSinceMark > 0 ? this.placeMark() : undefined;
  }

  /** Twilio echoed a mark. Unknown names (never sent, or forgotten at a barge-in) are ignored. */
  markPlayed(name: string): void {
    const pending = this.pending;
    let index = 0;
    while (index < pending.length && pending[index].name !== name) index++;
    if (index === pending.length) return;
    const now = this.time();
    const mark = pending[index];
    const overdue = now > mark.expectedAt + this.graceMs;
    this.learnEchoLag(now - mark.expectedAt);
    // Twilio plays in order: every mark before this one has played too.
    if (index === 0) pending.shift();
    else pending.splice(0, index + 1);
    if (mark.position > this.proven) this.proven = mark.position;
    const modelled = this.modelledPosition(now);
    // Behind the proof: move forward. Ahead of an overdue echo: restart from it (see the class comment).
    if (modelled < mark.position || (overdue && modelled > mark.position)) this.restartRunAt(now, mark.position);
    this.forgetHeardItems(now);
  }

  /** True while the model says audio sent to Twilio is still to be played. */
  get playing(): boolean {
    return this.heardPosition(this.time()) < this.sent;
  }

  /** Milliseconds of sent audio the model says are still queued at Twilio. */
  get queuedMs(): number {
    return (this.sent - this.heardPosition(this.time())) / BYTES_PER_MS;
  }

  /** True while a mark sent to Twilio has not been echoed (playback not yet proven). */
  get awaitingEcho(): boolean {
    return this.pending.length > 0;
  }

  /** Marks sent so far. */
  get marksSent(): number {
    return this.markCounter;
  }

  /** Milliseconds of an item heard so far (0 for an unknown item). */
  heardMs(itemId: string): number {
    return this.heard(itemId)?.playedMs ?? 0;
  }

  /**
   * How much of an item was sent and heard: live for an item still playing; final for one that
   * finished or was cut (the last few are remembered). Undefined for an unknown item.
   */
  heard(itemId: string): ItemPlayback | undefined {
    const position = this.heardPosition(this.time());
    let found: ItemPlayback | undefined;
    for (const span of this.spans) {
      if (span.itemId !== itemId) continue;
      found ??= { playedMs: 0, sentMs: 0 };
      addSpan(found, span, position);
    }
    return found ?? this.finished.get(itemId);
  }

  /**
   * The caller barged in now. Says whether a `clear` is needed and how to cut each item not fully
   * heard. After a clear, the queue is empty and the pending marks are forgotten (Twilio echoes
   * them all at once; those echoes prove nothing). Without one, nothing was left to play: pending
   * marks stay, their echoes are real.
   */
  interrupt(): PlaybackInterruption {
    const now = this.time();
    const position = this.heardPosition(now);
    const clear = position < this.sent;
    const cuts: PlaybackCut[] = [];
    for (const span of this.spans) {
      const heardToEnd = position >= span.end;
      if (heardToEnd && span.complete) {
        this.remember(span.itemId, { playedMs: msOf(span.end - span.start), sentMs: msOf(span.end - span.start) });
        continue;
      }
      let cut = cuts.find((c) => c.itemId === span.itemId);
      if (cut === undefined) cuts.push((cut = { itemId: span.itemId, playedMs: 0, sentMs: 0 }));
      addSpan(cut, span, position);
    }
    for (const cut of cuts) this.remember(cut.itemId, { playedMs: cut.playedMs, sentMs: cut.sentMs });
    this.spans = [];
    this.current = undefined;
    if (clear) {
      // The unplayed audio is gone: the queue ends where playback stopped.
      this.sent = position;
      this.proven = position;
      this.runStartAt = now;
      this.runStartPos = position;
      this.pending = [];
      this.bytesSinceMark = 0;
    }
    return { clear, cuts };
  }

  // ---- the model -----------------------------------------------------------------------

  /** `now()`, never going backwards. */
  private time(): number {
    const now = this.now();
    if (now > this.lastNow) this.lastNow = now;
    return this.lastNow;
  }

  private runEndsAt(): number {
    return this.runStartAt + (this.sent - this.runStartPos) / BYTES_PER_MS;
  }

  /** Where the queue model says playback is at `now` (ignoring echoes). */
  private modelledPosition(now: number): number {
    const position = this.runStartPos + (now - this.runStartAt) * BYTES_PER_MS;
    return position < this.sent ? (position > this.runStartPos ? position : this.runStartPos) : this.sent;
  }

  /** The estimate: the model, capped at an overdue mark, never below what echoes proved. */
  private heardPosition(now: number): number {
    let position = this.modelledPosition(now);
    const oldest = this.pending[0];
    if (oldest !== undefined && position > oldest.position && now > oldest.expectedAt + this.graceMs) position = oldest.position;
    return position > this.proven ? position : this.proven;
  }

  /** Playback is known (or believed) to be at `position` at `now`: the rest of the queue plays from here. */
  private restartRunAt(now: number, position: number): void {
    this.runStartAt = now;
    this.runStartPos = position;
    for (const mark of this.pending) mark.expectedAt = now + (mark.position - position) / BYTES_PER_MS;
  }

  /**
   * How late an echo may be before the clock stops believing the model: three times the worst lag
   * of the last 8 echoes, at least `minEchoGraceMs`, 750 ms before the first echo. It adapts to the
   * stream's own echo delay, so slow but steady echoes (a distant or congested network) are not
   * mistaken for a Twilio that stopped playing, while on a prompt stream a stall is caught within
   * a few hundred ms; one very late echo (Twilio did stall) widens it only until 8 more have come.
   * A fixed grace measured worse on one side or the other (see the spec's policy table).
   */
  private learnEchoLag(lagMs: number): void {
    this.echoLags[this.echoCount++ % ECHO_LAGS_KEPT] = lagMs > 0 ? lagMs : 0;
    let worst = 0;
    const kept = Math.min(this.echoCount, ECHO_LAGS_KEPT);
    for (let i = 0; i < kept; i++) if (this.echoLags[i] > worst) worst = this.echoLags[i];
    this.graceMs = Math.max(this.minEchoGraceMs, ECHO_GRACE_FACTOR * worst);
  }

  private placeMark(): string {
    const name = String(++this.markCounter);
    this.pending.push({ name, position: this.sent, expectedAt: this.runEndsAt() });
    this.bytesSinceMark = 0;
    return name;
  }

  private startSpan(itemId: string, now: number): ItemSpan {
    // OpenAI sends one item's audio after another: a new item means the previous one is complete.
    if (this.current !== undefined) this.current.complete = true;
    this.forgetHeardItems(now);
    const span: ItemSpan = { itemId, start: this.sent, end: this.sent, complete: false };
    this.spans.push(span);
    this.current = span;
    return span;
  }

  /** Moves complete items heard to their end out of the live list. */
  private forgetHeardItems(now: number): void {
    const spans = this.spans;
    if (spans.length === 0) return;
    const position = this.heardPosition(now);
    let done = 0;
    while (done < spans.length && spans[done].complete && spans[done].end <= position) done++;
    if (done === 0) return;
    for (const span of spans.splice(0, done)) {
      const ms = msOf(span.end - span.start);
      this.remember(span.itemId, { playedMs: ms, sentMs: ms });
    }
  }

  private remember(itemId: string, playback: ItemPlayback): void {
    this.finished.delete(itemId);
    this.finished.set(itemId, playback);
    if (this.finished.size > REMEMBERED_ITEMS) this.finished.delete(this.finished.keys().next().value!);
  }
}

function msOf(bytes: number): number {
  return Math.floor(bytes / BYTES_PER_MS);
}

/** Adds one span's sent and heard milliseconds (heard up to `position`) to a per-item total. */
function addSpan(total: ItemPlayback, span: ItemSpan, position: number): void {
  const sentBytes = span.end - span.start;
  const heardBytes = position <= span.start ? 0 : position >= span.end ? sentBytes : position - span.start;
  // Whole milliseconds, rounded down, so the heard part never exceeds the sent part.
  total.sentMs += msOf(sentBytes);
  total.playedMs = Math.min(total.sentMs, total.playedMs + msOf(heardBytes));
}
