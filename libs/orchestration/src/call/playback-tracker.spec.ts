import { describe, expect, it } from 'vitest';
import { PlaybackTracker } from './playback-tracker';

/** µ-law at 8 kHz: 8 bytes per millisecond. */
const ms = (milliseconds: number) => milliseconds * 8;

describe('PlaybackTracker', () => {
  it('starts idle: nothing playing and nothing to cut', () => {
    const tracker = new PlaybackTracker();
    expect(tracker.isPlaying).toBe(false);
    expect(tracker.interrupt()).toEqual([]);
    expect(tracker.playedMs('item_unknown')).toBe(0);
  });

  it('returns a distinct mark name for every chunk sent', () => {
    const tracker = new PlaybackTracker();
    const names = [tracker.audioSent('item_a', ms(20)), tracker.audioSent('item_a', ms(20)), tracker.audioSent('item_b', ms(20))];
    expect(new Set(names).size).toBe(3);
  });

  it('advances the played time of an item as its marks are echoed in order', () => {
    const tracker = new PlaybackTracker();
    const first = tracker.audioSent('item_a', ms(100));
    const second = tracker.audioSent('item_a', ms(150));
    expect(tracker.isPlaying).toBe(true);
    expect(tracker.playedMs('item_a')).toBe(0);

    tracker.markPlayed(first);
    expect(tracker.playedMs('item_a')).toBe(100);
    expect(tracker.isPlaying).toBe(true);

    tracker.markPlayed(second);
    expect(tracker.playedMs('item_a')).toBe(250);
    expect(tracker.isPlaying).toBe(false);
  });

  it('treats the echo of a later mark as proof that the earlier ones played', () => {
    const tracker = new PlaybackTracker();
    tracker.audioSent('item_a', ms(40));
    tracker.audioSent('item_a', ms(40));
    const third = tracker.audioSent('item_a', ms(40));
    tracker.audioSent('item_a', ms(40));

    tracker.markPlayed(third);
    expect(tracker.playedMs('item_a')).toBe(120);
    expect(tracker.isPlaying).toBe(true);
    // Only the fourth chunk is still unheard.
    expect(tracker.interrupt()).toEqual([{ itemId: 'item_a', playedMs: 120, sentMs: 160 }]);
  });

  it('ignores unknown mark names', () => {
    const tracker = new PlaybackTracker();
    tracker.audioSent('item_a', ms(100));
    tracker.markPlayed('no-such-mark');
    tracker.markPlayed('');
    expect(tracker.playedMs('item_a')).toBe(0);
    expect(tracker.isPlaying).toBe(true);
  });

  it('returns, on interrupt, one cut per unheard item in playing order and forgets everything pending', () => {
    const tracker = new PlaybackTracker();
    const a1 = tracker.audioSent('item_a', ms(100));
    tracker.audioSent('item_a', ms(100));
    tracker.audioSent('item_b', ms(100));
    tracker.audioSent('item_b', ms(100));
    tracker.markPlayed(a1);

    expect(tracker.interrupt()).toEqual([
      { itemId: 'item_a', playedMs: 100, sentMs: 200 },
      { itemId: 'item_b', playedMs: 0, sentMs: 200 },
    ]);
    expect(tracker.isPlaying).toBe(false);
    expect(tracker.interrupt()).toEqual([]);
  });

  it('ignores echoes of marks that were pending when interrupted (clear echoes them back)', () => {
    const tracker = new PlaybackTracker();
    const a1 = tracker.audioSent('item_a', ms(100));
    const a2 = tracker.audioSent('item_a', ms(100));
    tracker.interrupt();

    // Twilio echoes every pending mark after `clear`: not proof of playback.
    tracker.markPlayed(a1);
    tracker.markPlayed(a2);
    expect(tracker.isPlaying).toBe(false);
    expect(tracker.playedMs('item_a')).toBe(0);

    // A later turn is unaffected by the stale echoes.
    const b1 = tracker.audioSent('item_b', ms(60));
    tracker.markPlayed(a2);
    expect(tracker.playedMs('item_b')).toBe(0);
    tracker.markPlayed(b1);
    expect(tracker.playedMs('item_b')).toBe(60);
  });

  it('reports integer milliseconds, rounded down so they never exceed what was sent', () => {
    const tracker = new PlaybackTracker();
    // 1001 bytes is 125.125 ms; 13 more bytes is 126.75 ms in total.
    const first = tracker.audioSent('item_a', 1001);
    tracker.audioSent('item_a', 13);
    tracker.markPlayed(first);

    expect(tracker.playedMs('item_a')).toBe(125);
    const [cut] = tracker.interrupt();
    expect(cut).toEqual({ itemId: 'item_a', playedMs: 125, sentMs: 126 });
    expect(Number.isInteger(cut!.playedMs)).toBe(true);
    expect(cut!.playedMs).toBeLessThanOrEqual((1001 + 13) / 8);
  });

  it('measures each item from its own start across several turns', () => {
    const tracker = new PlaybackTracker();

    // Turn 1: 300 ms, fully heard.
    tracker.audioSent('item_1', ms(100));
    const t1 = tracker.audioSent('item_1', ms(200));
    tracker.markPlayed(t1);
    expect(tracker.playedMs('item_1')).toBe(300);
    expect(tracker.isPlaying).toBe(false);

    // Turn 2: 500 ms sent, 250 ms heard when the caller barges in.
    const t2a = tracker.audioSent('item_2', ms(250));
    tracker.audioSent('item_2', ms(250));
    tracker.markPlayed(t2a);
    expect(tracker.playedMs('item_2')).toBe(250);
    expect(tracker.interrupt()).toEqual([{ itemId: 'item_2', playedMs: 250, sentMs: 500 }]);

    // Turn 3: 400 ms sent, 160 ms heard. Not 300 + 250 + 160 (time since the first item).
    const t3a = tracker.audioSent('item_3', ms(80));
    tracker.audioSent('item_3', ms(80)); // echoed implicitly by the next echo
    const t3c = tracker.audioSent('item_3', ms(80));
    tracker.audioSent('item_3', ms(160));
    tracker.markPlayed(t3a);
    expect(tracker.playedMs('item_3')).toBe(80);
    tracker.markPlayed(t3c);
    expect(tracker.playedMs('item_3')).toBe(240);
    expect(tracker.interrupt()).toEqual([{ itemId: 'item_3', playedMs: 240, sentMs: 400 }]);
  });

  it('does not mix up items of the same turn that follow each other without an interrupt', () => {
    const tracker = new PlaybackTracker();
    const a = tracker.audioSent('item_a', ms(200));
    tracker.audioSent('item_b', ms(100));
    const b2 = tracker.audioSent('item_b', ms(100));
    tracker.audioSent('item_b', ms(100));
    tracker.markPlayed(a);
    tracker.markPlayed(b2);

    expect(tracker.playedMs('item_b')).toBe(200);
    // item_a is fully heard, so only item_b is cut.
    expect(tracker.interrupt()).toEqual([{ itemId: 'item_b', playedMs: 200, sentMs: 300 }]);
  });
});
