import { describe, expect, it } from 'vitest';
import { CallerAudioPacer } from './caller-audio-pacer';

const FRAME = 160; // 20 ms of µ-law

describe('CallerAudioPacer', () => {
  it('lets real-time audio through untouched, jitter and bursts included', () => {
    let now = 0;
    const pacer = new CallerAudioPacer(1.2, () => now);
    // Ten minutes of 20 ms frames, delivered in bunches of up to a second after a stall.
    let passed = 0;
    let sent = 0;
    for (let second = 0; second < 600; second++) {
      const bunch = second % 7 === 0 ? 0 : second % 7 === 1 ? 100 : 50;
      for (let i = 0; i < bunch; i++, sent++) if (pacer.admit(FRAME)) passed++;
      now += 1000;
    }
    expect(sent).toBe(600 * 50);
    expect(passed).toBe(sent);
  });

  it('cuts a flood to the rate (plus one burst)', () => {
    let now = 0;
    const pacer = new CallerAudioPacer(1.2, () => now);
    // 1,000 s of audio in 1 s.
    let passedBytes = 0;
    for (let i = 0; i < 50_000; i++) {
      if (i % 50 === 0) now += 1;
      if (pacer.admit(FRAME)) passedBytes += FRAME;
    }
    const audioSeconds = passedBytes / 8000;
    expect(audioSeconds).toBeLessThanOrEqual(2 + 1.2 * 1 + 0.05);
    expect(audioSeconds).toBeGreaterThanOrEqual(2);
  });

  it('sustains about the rate over a long flood', () => {
    let now = 0;
    const pacer = new CallerAudioPacer(1.2, () => now);
    let passedBytes = 0;
    for (let ms = 0; ms < 60_000; ms++) {
      now = ms;
      for (let i = 0; i < 5; i++) if (pacer.admit(FRAME)) passedBytes += FRAME; // 40x real time
    }
    expect(passedBytes / 8000).toBeCloseTo(2 + 1.2 * 60, 0);
  });
});
