import { describe, expect, it } from 'vitest';
import { HOLD_CHUNK_MS, HoldAudio } from './hold-audio';

describe('HoldAudio', () => {
  it('keeps about a second of real µ-law ahead of real time, looping, and sends nothing more while ahead', () => {
    let now = 0;
    const sent: string[] = [];
    const hold = new HoldAudio((audio) => sent.push(audio), () => now);
    hold.start();
    expect(sent).toHaveLength(1000 / HOLD_CHUNK_MS);
    const chunk = Buffer.from(sent[0], 'base64');
    expect(chunk.length).toBe(HOLD_CHUNK_MS * 8);
    // Audible (not µ-law silence) but soft.
    expect(new Set(chunk).size).toBeGreaterThan(20);
    hold.tick();
    expect(sent).toHaveLength(2);
    for (now = 100; now <= 60_000; now += 100) hold.tick();
    // One minute of ticks: what was sent stays within a chunk of a second ahead of the clock.
    expect(hold.sentBytes / 8 - now).toBeLessThanOrEqual(1000 + HOLD_CHUNK_MS);
    expect(hold.sentBytes / 8 - now).toBeGreaterThanOrEqual(1000 - 100 - HOLD_CHUNK_MS);
    // The loop repeats itself exactly.
    const loopChunks = sent.indexOf(sent[0], 1);
    expect(loopChunks).toBeGreaterThan(4);
    expect(sent[loopChunks + 1]).toBe(sent[1]);
  });
});
