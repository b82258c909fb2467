/** µ-law at 8 kHz: 8 bytes per millisecond. */
const BYTES_PER_MS = 8;
/** Hold audio goes out in chunks of this length. */
export const HOLD_CHUNK_MS = 500;
/** Hold audio is kept this far ahead of what has played (Twilio buffers it), so a tick late does not leave a gap. */
const HOLD_LEAD_MS = 1000;

/** One 16-bit linear sample to G.711 µ-law. */
function linearToMulaw(sample: number): number {
  const BIAS = 0x84;
  const CLIP = 32635;
  let sign = 0;
  if (sample < 0) {
    sign = 0x80;
    sample = -sample;
  }
  if (sample > CLIP) sample = CLIP;
  sample += BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (sample & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (sample >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

/**
 * A gentle hold loop, generated once per process: a slow arpeggio of soft sine notes (C major,
 * then A minor), each fading in and out, about 4.8 s long. Returned as base64 µ-law chunks of
 * HOLD_CHUNK_MS, ready to send as they are.
 */
function generateHoldLoop(): string[] {
  const notesHz = [261.63, 329.63, 392.0, 329.63, 220.0, 261.63, 329.63, 261.63];
  const noteMs = 600;
  const samples = Buffer.alloc(notesHz.length * noteMs * BYTES_PER_MS);
  let index = 0;
  for (const hz of notesHz) {
    const count = noteMs * BYTES_PER_MS;
    for (let i = 0; i < count; i++, index++) {
      const envelope = Math.sin((Math.PI * i) / count);
      const value = 2600 * envelope * (Math.sin((2 * Math.PI * hz * i) / 8000) + 0.3 * Math.sin((4 * Math.PI * hz * i) / 8000));
      samples[index] = linearToMulaw(Math.round(value));
    }
  }
  const chunkBytes = HOLD_CHUNK_MS * BYTES_PER_MS;
  const chunks: string[] = [];
  for (let offset = 0; offset < samples.length; offset += chunkBytes) chunks.push(samples.subarray(offset, offset + chunkBytes).toString('base64'));
  return chunks;
}

let holdLoop: string[] | undefined;

/**
 * Plays the hold loop into one call's media stream while the caller waits, paced by the shared
 * call ticker: never more than about a second ahead of real time, so stopping it (a `clear`)
 * drops little, and nothing is allocated per chunk.
 */
export class HoldAudio {
  private readonly chunks: string[];
  private next = 0;
  private startedAt = 0;
  private sentMs = 0;

  constructor(
    private readonly send: (base64Audio: string) => void,
    private readonly now: () => number,
  ) {
    this.chunks = holdLoop ??= generateHoldLoop();
  }

  /** Bytes of µ-law sent so far. */
  get sentBytes(): number {
    return this.sentMs * BYTES_PER_MS;
  }

  start(): void {
    this.startedAt = this.now();
    this.tick();
  }

  /** Tops the stream up to HOLD_LEAD_MS ahead of real time. */
  tick(): void {
    const playedMs = this.now() - this.startedAt;
    while (this.sentMs - playedMs < HOLD_LEAD_MS) {
      this.send(this.chunks[this.next]);
      this.next = (this.next + 1) % this.chunks.length;
      this.sentMs += HOLD_CHUNK_MS;
    }
  }
}
