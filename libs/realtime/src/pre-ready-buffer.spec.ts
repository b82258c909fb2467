import { describe, expect, it } from 'vitest';
import { PreReadyBuffer } from './pre-ready-buffer';

/** A base64 frame of `bytes` decoded bytes, all set to `fill` so frames are told apart. */
const frame = (bytes: number, fill: number) => Buffer.alloc(bytes, fill).toString('base64');

describe('PreReadyBuffer', () => {
  it('is empty to begin with', () => {
    const buffer = new PreReadyBuffer(1000);
    expect(buffer.drain()).toEqual([]);
    expect(buffer.bufferedBytes).toBe(0);
    expect(buffer.overflowBytes).toBe(0);
  });

  it('gives back frames in arrival order, exactly as pushed', () => {
    const buffer = new PreReadyBuffer(40_000);
    const frames = [frame(160, 1), frame(160, 2), frame(161, 3), frame(162, 4)];
    for (const f of frames) buffer.push(f);

    expect(buffer.bufferedBytes).toBe(160 + 160 + 161 + 162);
    expect(buffer.drain()).toEqual(frames);
  });

  it('empties on drain', () => {
    const buffer = new PreReadyBuffer(1000);
    buffer.push(frame(160, 1));
    buffer.drain();
    expect(buffer.bufferedBytes).toBe(0);
    expect(buffer.drain()).toEqual([]);
  });

  it('drops the oldest audio past its limit and counts what it dropped', () => {
    // Room for three 20 ms frames (160 bytes each).
    const buffer = new PreReadyBuffer(480);
    const frames = [1, 2, 3, 4, 5].map((fill) => frame(160, fill));
    for (const f of frames) buffer.push(f);

    expect(buffer.bufferedBytes).toBe(480);
    expect(buffer.overflowBytes).toBe(320);
    expect(buffer.drain()).toEqual(frames.slice(2));
  });

  it('never holds more than its limit', () => {
    const buffer = new PreReadyBuffer(500);
    for (let i = 0; i < 50; i++) {
      buffer.push(frame(160 + (i % 3), i));
      expect(buffer.bufferedBytes).toBeLessThanOrEqual(500);
    }
    const kept = buffer.drain();
    const keptBytes = kept.reduce((sum, f) => sum + Buffer.from(f, 'base64').length, 0);
    const pushedBytes = Array.from({ length: 50 }, (_, i) => 160 + (i % 3)).reduce((a, b) => a + b, 0);
    expect(keptBytes + buffer.overflowBytes).toBe(pushedBytes);
  });

  it('keeps counting overflow across drains', () => {
    const buffer = new PreReadyBuffer(160);
    buffer.push(frame(160, 1));
    buffer.push(frame(160, 2));
    buffer.drain();
    buffer.push(frame(160, 3));
    buffer.push(frame(160, 4));
    expect(buffer.overflowBytes).toBe(320);
  });

  it('holds nothing with a zero limit', () => {
    const buffer = new PreReadyBuffer(0);
    buffer.push(frame(160, 1));
    expect(buffer.drain()).toEqual([]);
    expect(buffer.overflowBytes).toBe(160);
  });
});
