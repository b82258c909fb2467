import { describe, expect, it } from 'vitest';
import { CallerAudioGaps, MAX_GAP_FILL_MS, MULAW_SILENCE_100_MS, MULAW_SILENCE_20_MS } from './caller-audio-gaps';

const FRAME = 160; // 20 ms of µ-law

/** Frames in step from `fromMs`, returning the silence asked for before each. */
function steady(gaps: CallerAudioGaps, fromMs: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => gaps.frame(fromMs + i * 20, FRAME));
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

describe('CallerAudioGaps', () => {
  it('fills nothing while frames arrive in step, whatever the first timestamp', () => {
    const gaps = new CallerAudioGaps();
    expect(steady(gaps, 740, 500)).toEqual(new Array(500).fill(0));
  });

  it('fills a timestamp jump with exactly the missing frames', () => {
    const gaps = new CallerAudioGaps();
    steady(gaps, 0, 10); // up to 200 ms
    expect(gaps.frame(700, FRAME)).toBe(500);
    expect(steady(gaps, 720, 10)).toEqual(new Array(10).fill(0));
  });

  it('ignores jitter below a frame, duplicates and frames that go back in time', () => {
    const gaps = new CallerAudioGaps();
    steady(gaps, 0, 5);
    expect(gaps.frame(110, FRAME)).toBe(0); // 10 ms early
    expect(gaps.frame(110, FRAME)).toBe(0); // a duplicate
    expect(gaps.frame(40, FRAME)).toBe(0); // reordered
  });

  it('bounds one gap, and does not carry what it gave up to the next frame', () => {
    const gaps = new CallerAudioGaps();
    steady(gaps, 0, 1);
    expect(gaps.frame(20 + 60_000, FRAME)).toBe(MAX_GAP_FILL_MS);
    expect(gaps.frame(40 + 60_000, FRAME)).toBe(0);
  });

  it('takes frames without timestamps as they come', () => {
    const gaps = new CallerAudioGaps();
    expect(gaps.frame(Number.NaN, FRAME)).toBe(0);
    expect(gaps.frame(Number.NaN, FRAME)).toBe(0);
    steady(gaps, 1000, 3);
    expect(gaps.frame(1060 + 200, FRAME)).toBe(200);
  });

  describe('when media stops (the shared ticker, every 100 ms)', () => {
    it('waits 500 ms without a frame, then fills what is missing by then and 100 ms per tick, up to the bound', () => {
      const gaps = new CallerAudioGaps();
      steady(gaps, 0, 10);
      const fills = Array.from({ length: 30 }, () => gaps.tick(10));
      // The first tick only notes the count; then 4 quiet ticks wait, the 5th fills the 480 ms
      // missing after 500 ms without a frame (the next frame was due 20 ms after the last).
      expect(fills.slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
      expect(fills[5]).toBe(480);
      expect(fills.slice(6, 21)).toEqual(new Array(15).fill(100));
      expect(fills[21]).toBe(20);
      expect(fills.slice(22)).toEqual(new Array(8).fill(0)); // 2 s filled: the bound
      expect(sum(fills)).toBe(MAX_GAP_FILL_MS);
    });

    it('fills nothing while frames keep coming, or before the first frame', () => {
      const gaps = new CallerAudioGaps();
      for (let i = 0; i < 10; i++) expect(gaps.tick(0)).toBe(0);
      for (let frames = 5; frames < 100; frames += 5) expect(gaps.tick(frames)).toBe(0);
    });

    it('when media resumes, fills only what the ticks had not filled already', () => {
      const gaps = new CallerAudioGaps();
      steady(gaps, 0, 10); // the last frame covers 180-200 ms
      let ticked = 0;
      for (let i = 0; i < 8; i++) ticked += gaps.tick(10); // 800 ms of ticks
      expect(ticked).toBe(680);
      // Media comes back at 1500 ms: 1300 ms were missing, 680 already filled.
      expect(gaps.frame(1500, FRAME)).toBe(620);
      expect(steady(gaps, 1520, 20)).toEqual(new Array(20).fill(0));
    });

    it('cannot undo a fill when the frames were late rather than lost, and lets the next jump absorb it', () => {
      const gaps = new CallerAudioGaps();
      steady(gaps, 0, 10);
      let ticked = 0;
      for (let i = 0; i < 6; i++) ticked += gaps.tick(10);
      expect(ticked).toBe(480);
      // The frames of the stall arrive in a burst, timestamps in step: nothing more to fill...
      expect(steady(gaps, 200, 30)).toEqual(new Array(30).fill(0));
      // ...and the model is 480 ms ahead, so a later 300 ms jump needs no silence.
      expect(gaps.frame(800 + 300, FRAME)).toBe(0);
      expect(gaps.frame(1120 + 400, FRAME)).toBe(220);
    });
  });

  it('precomputes 20 and 100 ms of µ-law silence', () => {
    expect(Buffer.from(MULAW_SILENCE_20_MS, 'base64')).toEqual(Buffer.alloc(160, 0xff));
    expect(Buffer.from(MULAW_SILENCE_100_MS, 'base64')).toEqual(Buffer.alloc(800, 0xff));
  });
});
