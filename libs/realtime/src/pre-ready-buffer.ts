import { base64DecodedLength } from './base64-length';

/**
 * The pre-ready buffer: holds caller audio (base64 µ-law frames) that arrives before the OpenAI session is configured,
 * so it can be appended in order once it is. Bounded: past the limit the oldest audio goes first.
 */
export class PreReadyBuffer {
  private frames: string[] = [];
  private bytes = 0;
  private droppedBytes = 0;

  /** @param maxBytes µ-law is 8 bytes per millisecond, so 5 s is 40 000 bytes. */
  constructor(private readonly maxBytes: number) {}

  push(base64Frame: string): void {
    const size = base64DecodedLength(base64Frame);
    this.frames.push(base64Frame);
    this.bytes += size;
    while (this.bytes > this.maxBytes && this.frames.length > 0) {
      const dropped = this.frames.shift()!;
      const droppedSize = base64DecodedLength(dropped);
      this.bytes -= droppedSize;
      this.droppedBytes += droppedSize;
    }
  }

  /** Returns the held frames in arrival order and empties the buffer. */
  drain(): string[] {
    const frames = this.frames;
    this.frames = [];
    this.bytes = 0;
    return frames;
  }

  get bufferedBytes(): number {
    return this.bytes;
  }

  /** Audio dropped because the buffer was full (the session took too long to become ready). */
  get overflowBytes(): number {
    return this.droppedBytes;
  }
}
