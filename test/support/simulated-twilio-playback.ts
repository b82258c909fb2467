/**
 * A deterministic simulation, in virtual time, of what Twilio does with the assistant audio a
 * gateway sends: media, mark and clear messages reach Twilio after a random one-way delay (in
 * order, as on one TCP connection); Twilio plays its queue at 8 bytes of µ-law per ms, each chunk
 * starting when it arrives or when the previous one ends, whichever is later; it echoes a mark when
 * the audio before it has played, and every pending mark at once when a `clear` arrives; echoes
 * travel back after another random delay (in order). Twilio may be told to stop playing for a
 * while (`pauses`), to model a Twilio that does not play as expected.
 *
 * The simulation knows what was truly played at any instant, per item, so a playback tracker's
 * estimate can be measured against it.
 */

const BYTES_PER_MS = 8;

/** Events in virtual time, run in time order (ties in scheduling order). */
export class VirtualTime {
  now = 0;
  private events: Array<{ at: number; seq: number; run: () => void }> = [];
  private seq = 0;

  at(at: number, run: () => void): void {
    const event = { at: Math.max(at, this.now), seq: ++this.seq, run };
    const events = this.events;
    let index = events.length;
    while (index > 0 && (events[index - 1].at > event.at || (events[index - 1].at === event.at && events[index - 1].seq > event.seq))) index--;
    events.splice(index, 0, event);
  }

  /** Runs every event due up to `until` (all of them by default). */
  run(until = Infinity): void {
    while (this.events.length > 0 && this.events[0].at <= until) {
      const event = this.events.shift()!;
      this.now = event.at;
      event.run();
    }
    if (until !== Infinity && until > this.now) this.now = until;
  }
}

/** A seeded pseudo-random generator (mulberry32): the same seed gives the same trials. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface TwilioLinkOptions {
  /** One-way delay of each gateway → Twilio message, uniform in [min, max] ms. */
  forwardMs?: [number, number];
  /** Delay of each mark echo, Twilio → gateway, uniform in [min, max] ms. */
  echoDelayMs?: [number, number];
  /** Intervals of Twilio time, sorted and disjoint, during which Twilio plays nothing. */
  pauses?: Array<[number, number]>;
}

interface Chunk {
  itemId: string;
  start: number;
  durationMs: number;
  /** When a `clear` removed the rest of it from the queue. */
  cutAt: number;
}

interface QueuedMark {
  name: string;
  /** When Twilio has played the audio before it. */
  playedAt: number;
  echoed: boolean;
}

export class SimulatedTwilioPlayback {
  readonly stats = { media: 0, marks: 0, clears: 0, echoes: 0 };
  private readonly chunks: Chunk[] = [];
  private readonly marks: QueuedMark[] = [];
  private lastArrival = 0;
  /** When the audio queued so far will have finished playing. */
  private queueEnd = 0;
  private lastEchoArrival = 0;
  private readonly pauses: Array<[number, number]>;

  constructor(
    private readonly time: VirtualTime,
    private readonly random: () => number,
    private readonly options: TwilioLinkOptions,
    private readonly onEcho: (name: string) => void,
  ) {
    this.pauses = options.pauses ?? [];
  }

  /** The gateway sends `bytes` of an item's audio now. */
  media(itemId: string, bytes: number): void {
    this.stats.media++;
    const arrival = this.arrival();
    const start = Math.max(arrival, this.queueEnd);
    const durationMs = bytes / BYTES_PER_MS;
    this.chunks.push({ itemId, start, durationMs, cutAt: Infinity });
    this.queueEnd = this.advance(start, durationMs);
  }

  /** The gateway sends a mark now. */
  mark(name: string): void {
    this.stats.marks++;
    const mark: QueuedMark = { name, playedAt: Math.max(this.arrival(), this.queueEnd), echoed: false };
    this.marks.push(mark);
    this.time.at(mark.playedAt, () => this.echo(mark));
  }

  /**
   * The gateway sends `clear` now. Returns when it reaches Twilio and what had been played of each
   * item by then (what the caller heard); at that moment the queue empties and every pending mark
   * is echoed.
   */
  clear(): { arrivesAt: number; playedMs: Map<string, number> } {
    this.stats.clears++;
    const arrivesAt = this.arrival();
    const playedMs = this.playedMsByItem(arrivesAt);
    for (const chunk of this.chunks) chunk.cutAt = Math.min(chunk.cutAt, arrivesAt);
    this.queueEnd = arrivesAt;
    this.time.at(arrivesAt, () => {
      for (const mark of this.marks) if (!mark.echoed && mark.playedAt > arrivesAt) this.echo(mark);
    });
    return { arrivesAt, playedMs };
  }

  /** Milliseconds of each item played by Twilio up to instant `at` (or ever, by default). */
  playedMsByItem(at = Infinity): Map<string, number> {
    const played = new Map<string, number>();
    for (const chunk of this.chunks) {
      const end = Math.min(at, chunk.cutAt, this.advance(chunk.start, chunk.durationMs));
      const ms = end <= chunk.start ? 0 : Math.min(chunk.durationMs, this.activeMs(chunk.start, end));
      played.set(chunk.itemId, (played.get(chunk.itemId) ?? 0) + ms);
    }
    return played;
  }

  /** When the audio sent so far finishes playing (if nothing clears it). */
  get playbackEndsAt(): number {
    return this.queueEnd;
  }

  private echo(mark: QueuedMark): void {
    if (mark.echoed) return;
    mark.echoed = true;
    this.stats.echoes++;
    const at = Math.max(this.lastEchoArrival, this.time.now + this.between(this.options.echoDelayMs));
    this.lastEchoArrival = at;
    this.time.at(at, () => this.onEcho(mark.name));
  }

  /** When a message sent now reaches Twilio: after the forward delay, never before the previous one. */
  private arrival(): number {
    const at = Math.max(this.lastArrival, this.time.now + this.between(this.options.forwardMs));
    this.lastArrival = at;
    return at;
  }

  private between(range: [number, number] | undefined): number {
    if (!range) return 0;
    return range[0] + (range[1] - range[0]) * this.random();
  }

  /** The instant `durationMs` of playback starting at `start` ends, pauses included. */
  private advance(start: number, durationMs: number): number {
    let t = start;
    let left = durationMs;
    for (const [pauseStart, pauseEnd] of this.pauses) {
      if (pauseEnd <= t) continue;
      if (pauseStart >= t + left) break;
      if (pauseStart > t) left -= pauseStart - t;
      t = pauseEnd;
    }
    return t + left;
  }

  /** Time Twilio spent playing (outside pauses) between two instants. */
  private activeMs(from: number, to: number): number {
    let ms = to - from;
    for (const [pauseStart, pauseEnd] of this.pauses) {
      const overlap = Math.min(to, pauseEnd) - Math.max(from, pauseStart);
      if (overlap > 0) ms -= overlap;
    }
    return ms;
  }
}
