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

  it('counts filled silence against the pace: timestamp jumps at every frame cannot outrun it', () => {
    let now = 0;
    const pacer = new CallerAudioPacer(1.2, () => now);
    // A frame every 20 ms (real time), each claiming a 2 s jump: 2 s of silence asked per frame.
    let sentMs = 0;
    for (let ms = 0; ms < 60_000; ms += 20) {
      now = ms;
      if (!pacer.admit(FRAME)) continue;
      sentMs += 20 + 2000;
      pacer.spendMs(2000);
    }
    expect(sentMs / 1000).toBeLessThanOrEqual(2 + 1.2 * 60 + 2.1);
  });

  it('lets a real caller carry on right after one long gap is filled', () => {
    let now = 0;
    const pacer = new CallerAudioPacer(1.2, () => now);
    for (let ms = 0; ms < 5_000; ms += 20, now = ms) pacer.admit(FRAME);
    pacer.spendMs(2000); // Twilio's timestamps jumped 2 s: the gap is filled once
    let passed = 0;
    let sent = 0;
    for (let ms = 5_000; ms < 65_000; ms += 20, sent++) {
      now = ms;
      if (pacer.admit(FRAME)) passed++;
    }
    // The bucket was nearly full (the caller spends 1x of its 1.2x): the gap's cost fits, and
    // the caller's frames keep passing.
    expect(sent - passed).toBeLessThanOrEqual(1);
  });
});
