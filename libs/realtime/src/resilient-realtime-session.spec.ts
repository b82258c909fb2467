import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RealtimeClientEvent, RealtimeServerEvent, RealtimeSessionConfig } from './realtime-events';
import type { RealtimeCloseInfo, RealtimeSession, RealtimeSessionListener } from './realtime-session';
import { ResilienceOptions, ResilientRealtimeSession } from './resilient-realtime-session';

/** A raw session the test drives by hand. */
class FakeRaw {
  isReady = false;
  isClosed = false;
  config?: RealtimeSessionConfig;
  readonly appended: string[] = [];
  readonly sent: RealtimeClientEvent[] = [];
  constructor(readonly listener: RealtimeSessionListener) {}
  configure(config: RealtimeSessionConfig) {
    this.config = config;
  }
  connect() {}
  appendAudio(audio: string) {
    this.appended.push(audio);
  }
  send(event: RealtimeClientEvent) {
    this.sent.push(event);
  }
  close() {
    if (this.isClosed) return;
    this.isClosed = true;
    this.listener.onSessionClosed({ code: 1000, reason: '', initiatedLocally: true });
  }
  // ---- the server side
  ready() {
    this.isReady = true;
    this.listener.onSessionReady();
  }
  event(event: RealtimeServerEvent) {
    this.listener.onServerEvent(event);
  }
  drop() {
    this.isClosed = true;
    this.listener.onSessionClosed({ code: 1006, reason: '', initiatedLocally: false });
  }
}

const CONFIG = { type: 'realtime', model: 'gpt-realtime' } as RealtimeSessionConfig;
const OPTIONS: ResilienceOptions = { connectTimeoutMs: 1000, connectAttempts: 2, maxReconnects: 2, preReadyBufferMs: 100, retryDelayMs: 100 };

function setup(options: Partial<ResilienceOptions> = {}) {
  const raws: FakeRaw[] = [];
  const owner = { ready: 0, events: [] as RealtimeServerEvent[], closed: [] as RealtimeCloseInfo[], reconnecting: [] as number[] };
  const gaveUp: string[] = [];
  const session = new ResilientRealtimeSession(
    { ...OPTIONS, ...options },
    {
      open: (listener) => {
        const raw = new FakeRaw(listener);
        raws.push(raw);
        return raw as unknown as RealtimeSession;
      },
      giveUp: async (reason) => void gaveUp.push(reason),
    },
    {
      onSessionReady: () => void owner.ready++,
      onServerEvent: (e) => void owner.events.push(e),
      onSessionClosed: (info) => void owner.closed.push(info),
      onSessionReconnecting: (attempt) => void owner.reconnecting.push(attempt),
    },
    pino({ level: 'silent' }),
  );
  session.configure(CONFIG);
  session.connect();
  return { session, raws, owner, gaveUp };
}

const frame = (n: number) => Buffer.alloc(160, n).toString('base64'); // 20 ms

describe('ResilientRealtimeSession', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('holds caller audio across a timed-out try and delivers it, in order, to the session that works', async () => {
    const { session, raws, owner } = setup();
    session.appendAudio(frame(1));
    session.appendAudio(frame(2));
    await vi.advanceTimersByTimeAsync(1000); // first try never configures
    expect(raws[0].isClosed).toBe(true);
    session.appendAudio(frame(3));
    await vi.advanceTimersByTimeAsync(100); // back-off
    expect(raws).toHaveLength(2);
    expect(raws[1].config).toBe(CONFIG);
    raws[1].ready();
    session.appendAudio(frame(4));
    expect(raws[1].appended).toEqual([frame(1), frame(2), frame(3), frame(4)]);
    expect(owner.ready).toBe(1);
  });

  it('keeps only the newest held audio when a reconnect takes long (bounded)', () => {
    const { session, raws } = setup({ preReadyBufferMs: 40 });
    for (let n = 1; n <= 5; n++) session.appendAudio(frame(n));
    raws[0].ready();
    expect(raws[0].appended).toEqual([frame(4), frame(5)]);
  });

  it('replays the conversation after a drop, reports ready only once, and drops barge-in for items of the dead session', () => {
    const { session, raws, owner } = setup();
    const first = raws[0];
    first.ready();
    first.event({ type: 'response.created', event_id: 'e', response: { id: 'resp_1', status: 'in_progress' } });
    first.event({ type: 'response.output_audio.delta', event_id: 'e', response_id: 'resp_1', item_id: 'item_a', output_index: 0, content_index: 0, delta: frame(9) });
    first.event({ type: 'response.output_audio_transcript.done', event_id: 'e', response_id: 'resp_1', item_id: 'item_a', output_index: 0, content_index: 0, transcript: 'Hi there.' });
    first.event({ type: 'conversation.item.input_audio_transcription.completed', event_id: 'e', item_id: 'item_u', content_index: 0, transcript: 'Book a table.', usage: { type: 'duration', seconds: 1 } });
    first.drop();
    expect(raws).toHaveLength(2);
    const second = raws[1];
    second.ready();
    expect(owner.ready).toBe(1);
    expect(second.sent).toEqual([
      { type: 'conversation.item.create', item: { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Hi there.' }] } },
      { type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Book a table.' }] } },
      { type: 'response.create' },
    ]);
    session.send({ type: 'conversation.item.truncate', item_id: 'item_a', content_index: 0, audio_end_ms: 10 });
    session.send({ type: 'response.cancel', response_id: 'resp_1' });
    expect(second.sent).toHaveLength(3);
    second.event({ type: 'response.created', event_id: 'e', response: { id: 'resp_2', status: 'in_progress' } });
    second.event({ type: 'response.output_audio.delta', event_id: 'e', response_id: 'resp_2', item_id: 'item_b', output_index: 0, content_index: 0, delta: frame(9) });
    session.send({ type: 'conversation.item.truncate', item_id: 'item_b', content_index: 0, audio_end_ms: 10 });
    session.send({ type: 'response.cancel', response_id: 'resp_2' });
    expect(second.sent.slice(3).map((e) => e.type)).toEqual(['conversation.item.truncate', 'response.cancel']);
    expect(owner.closed).toEqual([]);
  });

  describe('the truth after a reconnect: what the caller heard, not what the model said', () => {
    const TWELVE_WORDS = 'one1 two2 thr3 fou4 fiv5 six6 sev7 eig8 nin9 ten0 ele1 twe2';
    /** 2400 ms of an answer in 100 ms deltas, 200 ms a word. */
    function answer(raw: FakeRaw, itemId = 'item_a') {
      raw.event({ type: 'response.created', event_id: 'e', response: { id: 'resp_1', status: 'in_progress' } });
      for (let i = 0; i < 24; i++) {
        raw.event({ type: 'response.output_audio.delta', event_id: 'e', response_id: 'resp_1', item_id: itemId, output_index: 0, content_index: 0, delta: Buffer.alloc(800, 0xff).toString('base64') });
      }
    }
    const transcriptDone = (itemId = 'item_a'): RealtimeServerEvent => ({ type: 'response.output_audio_transcript.done', event_id: 'e', response_id: 'resp_1', item_id: itemId, output_index: 0, content_index: 0, transcript: TWELVE_WORDS });
    const replayedAssistant = (raw: FakeRaw) =>
      raw.sent.flatMap((e) => (e.type === 'conversation.item.create' && e.item.type === 'message' && e.item.role === 'assistant' ? [(e.item.content[0] as { text?: string }).text] : []));

    it('replays an answer interrupted after 4-5 of its 12 words as those words only, whichever of cut and transcript came first', () => {
      for (const cutFirst of [false, true]) {
        const { session, raws } = setup();
        raws[0].ready();
        answer(raws[0]);
        const cut = () => session.send({ type: 'conversation.item.truncate', item_id: 'item_a', content_index: 0, audio_end_ms: 900 });
        if (cutFirst) cut();
        raws[0].event(transcriptDone());
        if (!cutFirst) cut();
        raws[0].event({ type: 'conversation.item.input_audio_transcription.completed', event_id: 'e', item_id: 'item_u', content_index: 0, usage: { type: 'duration', seconds: 1 }, transcript: 'Wait, stop.' });
        raws[0].drop();
        raws[1].ready();
        expect(replayedAssistant(raws[1])).toEqual(['one1 two2 thr3 fou4']);
        expect(raws[1].sent.at(-1)).toEqual({ type: 'response.create' });
      }
    });

    it('keeps the cut of an item whose session died while its audio was still playing', () => {
      const { session, raws } = setup();
      raws[0].ready();
      answer(raws[0]);
      raws[0].event(transcriptDone());
      raws[0].drop();
      // The caller barges in during the reconnect: the truncate cannot reach any session, but it is the truth.
      session.send({ type: 'conversation.item.truncate', item_id: 'item_a', content_index: 0, audio_end_ms: 1200 });
      raws[1].ready();
      expect(replayedAssistant(raws[1])).toEqual(['one1 two2 thr3 fou4 fiv5 six6']);
    });

    it('leaves out an answer the caller heard none of, and owes the caller an answer', () => {
      const { session, raws } = setup();
      raws[0].ready();
      raws[0].event({ type: 'conversation.item.input_audio_transcription.completed', event_id: 'e', item_id: 'item_u', content_index: 0, usage: { type: 'duration', seconds: 1 }, transcript: 'Hello?' });
      answer(raws[0]);
      session.send({ type: 'conversation.item.delete', item_id: 'item_a' });
      raws[0].event(transcriptDone());
      raws[0].drop();
      raws[1].ready();
      expect(replayedAssistant(raws[1])).toEqual([]);
      expect(raws[1].sent.map((e) => e.type)).toEqual(['conversation.item.create', 'response.create']);
    });

    it('replays an answer heard to its end whole', () => {
      const { raws } = setup();
      raws[0].ready();
      answer(raws[0]);
      raws[0].event(transcriptDone());
      raws[0].drop();
      raws[1].ready();
      expect(replayedAssistant(raws[1])).toEqual([TWELVE_WORDS]);
    });
  });

  it('caps the replayed conversation to the most recent turns', () => {
    const { raws } = setup({ maxReplayTurns: 2 });
    raws[0].ready();
    for (const text of ['one', 'two', 'three']) {
      raws[0].event({ type: 'conversation.item.input_audio_transcription.completed', event_id: 'e', item_id: text, content_index: 0, transcript: text, usage: { type: 'duration', seconds: 1 } });
    }
    raws[0].drop();
    raws[1].ready();
    const texts = raws[1].sent.filter((e) => e.type === 'conversation.item.create').map((e) => (e as any).item.content[0].text);
    expect(texts).toEqual(['two', 'three']);
  });

  it('gives up after the bounded reconnects, calls the fallback first, then reports the close once', async () => {
    const { raws, owner, gaveUp } = setup({ maxReconnects: 1 });
    raws[0].ready();
    raws[0].drop();
    raws[1].ready();
    raws[1].drop();
    expect(raws).toHaveLength(2);
    expect(owner.reconnecting).toEqual([1]);
    expect(gaveUp).toHaveLength(1);
    expect(owner.closed).toEqual([]);
    await vi.advanceTimersByTimeAsync(0);
    expect(owner.closed).toHaveLength(1);
    expect(owner.closed[0].initiatedLocally).toBe(false);
  });

  it('passes benign errors through, and leaves no timer behind after close', async () => {
    const { session, raws, owner } = setup();
    raws[0].ready();
    raws[0].event({ type: 'error', event_id: 'e', error: { type: 'invalid_request_error', code: 'response_cancel_not_active', message: 'race' } });
    expect(owner.events.map((e) => e.type)).toEqual(['error']);
    expect(raws).toHaveLength(1);
    session.close();
    expect(owner.closed).toEqual([{ code: 1000, reason: '', initiatedLocally: true }]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('closing during a back-off cancels the retry', async () => {
    const { session, raws, owner } = setup();
    raws[0].drop(); // a failed first try (never ready)
    expect(vi.getTimerCount()).toBe(1);
    session.close();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(5000);
    expect(raws).toHaveLength(1);
    expect(owner.closed).toHaveLength(1);
  });
});
