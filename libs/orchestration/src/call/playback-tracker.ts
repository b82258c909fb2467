/** µ-law at 8 kHz: 8 bytes per millisecond of audio. */
const BYTES_PER_MS = 8;

interface SentMark {
  name: string;
  itemId: string;
  /** Bytes of the item sent up to and including the audio this mark follows. */
  itemBytesSent: number;
}

interface ItemPlayback {
  sentBytes: number;
  playedBytes: number;
}

/** What to do with one assistant item when the caller barges in. */
export interface PlaybackCut {
  itemId: string;
  /** Milliseconds of the item the caller actually heard (integer, never more than was sent). */
  playedMs: number;
  /** Milliseconds of the item sent to Twilio so far. */
  sentMs: number;
}

/**
 * Knows how much assistant audio the caller has actually heard. A mark follows every chunk of
 * audio sent to Twilio; Twilio echoes a mark once the audio before it has played. Marks echoed
 * because of a `clear` are not proof of playback, so `interrupt()` forgets every pending mark and
 * their late echoes are ignored.
 */
export class PlaybackTracker {
  private pending: SentMark[] = [];
  private items = new Map<string, ItemPlayback>();
  private lastItemId?: string;
  private markCounter = 0;

  /** Records audio forwarded to Twilio and returns the name of the mark to send right after it. */
  audioSent(itemId: string, bytes: number): string {
    let item = this.items.get(itemId);
    if (!item) {
      item = { sentBytes: 0, playedBytes: 0 };
      this.items.set(itemId, item);
    }
    this.lastItemId = itemId;
    item.sentBytes += bytes;
    const name = String(++this.markCounter);
    this.pending.push({ name, itemId, itemBytesSent: item.sentBytes });
    return name;
  }

  /** Twilio echoed a mark: the audio before it has played. Unknown (e.g. cleared) marks are ignored. */
  markPlayed(name: string): void {
    const pending = this.pending;
    let index = 0;
    while (index < pending.length && pending[index].name !== name) index++;
    if (index === pending.length) return;
    // Twilio plays in order: every mark up to this one has played too.
    for (let i = 0; i <= index; i++) {
      const item = this.items.get(pending[i].itemId);
      if (item) item.playedBytes = pending[i].itemBytesSent;
    }
    if (index === 0) pending.shift();
    else pending.splice(0, index + 1);
    if (this.items.size > 1) this.forgetFinishedItems();
  }

  /** True while some assistant audio sent to Twilio has not been confirmed played. */
  get isPlaying(): boolean {
    return this.pending.length > 0;
  }

  /** Milliseconds of an item heard so far. */
  playedMs(itemId: string): number {
    const item = this.items.get(itemId);
    return item ? Math.floor(item.playedBytes / BYTES_PER_MS) : 0;
  }

  /**
   * The caller barged in: returns, for each item with unheard audio in playing order, how much was
   * heard, and forgets all pending playback (the caller is about to send `clear`).
   */
  interrupt(): PlaybackCut[] {
    const cuts: PlaybackCut[] = [];
    const seen = new Set<string>();
    for (const mark of this.pending) {
      if (seen.has(mark.itemId)) continue;
      seen.add(mark.itemId);
      const item = this.items.get(mark.itemId);
      cuts.push({ itemId: mark.itemId, playedMs: this.playedMs(mark.itemId), sentMs: Math.floor((item?.sentBytes ?? 0) / BYTES_PER_MS) });
    }
    this.pending = [];
    this.items.clear();
    this.lastItemId = undefined;
    return cuts;
  }

  private forgetFinishedItems(): void {
    for (const [itemId, item] of this.items) {
      if (itemId !== this.lastItemId && item.playedBytes >= item.sentBytes) this.items.delete(itemId);
    }
  }
}
