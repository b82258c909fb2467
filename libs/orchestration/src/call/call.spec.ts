import pino from 'pino';
import type { Logger } from 'pino';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { MediaStreamListener, MediaStreamStart, TwilioMediaStream } from '@app/telephony';
import type {
  RealtimeClientEvent,
  RealtimeCloseInfo,
  RealtimeServerEvent,
  RealtimeSession,
  RealtimeSessionConfig,
  RealtimeSessionListener,
} from '@app/realtime';
import { Call, CallAgentListener, CallDependencies, CallSettings, CANCEL_GRACE_MS, TWILIO_ANSWER_GRACE_MS } from './call';
import { MULAW_SILENCE_100_MS, MULAW_SILENCE_20_MS } from './caller-audio-gaps';

/** Everything the call did to either socket, in order. */
type Action =
  | { to: 'twilio'; kind: 'audio'; payload: string }
  | { to: 'twilio'; kind: 'mark'; name: string }
  | { to: 'twilio'; kind: 'clear' }
  | { to: 'twilio'; kind: 'close'; code: number; reason: string }
  | { to: 'openai'; kind: 'configure'; config: RealtimeSessionConfig }
  | { to: 'openai'; kind: 'connect' }
  | { to: 'openai'; kind: 'append'; audio: string }
  | { to: 'openai'; kind: 'send'; event: RealtimeClientEvent }
  | { to: 'openai'; kind: 'close' };

class FakeTwilioStream {
  listener?: MediaStreamListener;
  constructor(private readonly actions: Action[]) {}
  setListener(listener: MediaStreamListener): void {
    this.listener = listener;
  }
  sendAudio(payload: string): void {
    this.actions.push({ to: 'twilio', kind: 'audio', payload });
  }
  sendMark(name: string): void {
    this.actions.push({ to: 'twilio', kind: 'mark', name });
  }
  sendClear(): void {
    this.actions.push({ to: 'twilio', kind: 'clear' });
  }
  close(code = 1000, reason = ''): void {
    this.actions.push({ to: 'twilio', kind: 'close', code, reason });
    // Like the real socket: closing reports back through the listener.
    this.listener?.onStreamClosed(code);
  }
}

class FakeRealtimeSession {
  isReady = true;
  constructor(
    private readonly actions: Action[],
    readonly listener: RealtimeSessionListener,
    readonly logger: Logger,
  ) {}
  configure(config: RealtimeSessionConfig): void {
    this.actions.push({ to: 'openai', kind: 'configure', config });
  }
  connect(): void {
    this.actions.push({ to: 'openai', kind: 'connect' });
  }
  appendAudio(audio: string): void {
    this.actions.push({ to: 'openai', kind: 'append', audio });
  }
  send(event: RealtimeClientEvent): void {
    this.actions.push({ to: 'openai', kind: 'send', event });
  }
  close(): void {
    this.actions.push({ to: 'openai', kind: 'close' });
    // Like the real session: a local close is reported back, flagged as local.
    this.listener.onSessionClosed({ code: 1000, reason: 'call ended', initiatedLocally: true });
  }
}

const SESSION_CONFIG = { type: 'realtime', model: 'gpt-realtime', instructions: 'be brief' } as RealtimeSessionConfig;

const START: MediaStreamStart = {
  streamSid: 'MZ00000000000000000000000000000001',
  callSid: 'CA00000000000000000000000000000001',
  accountSid: 'AC00000000000000000000000000000001',
  customParameters: { From: '+15550001111', To: '+15550002222' },
  mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
  origin: 'twilio',
};

/** Base64 µ-law audio lasting `ms` milliseconds (8 bytes per ms). */
const audio = (ms: number) => Buffer.alloc(ms * 8, 0xff).toString('base64');

interface Harness {
  call: Call;
  stream: FakeTwilioStream;
  sessions: FakeRealtimeSession[];
  actions: Action[];
  logs: Array<Record<string, unknown>>;
  ended: Call[];
  /** Call events emitted for observers, as [name, ...args without the call]. */
  events: unknown[][];
  /** The call's clock (ms): tests move it to say how much audio has played. */
  time: { now: number };
}

function makeCall(greeting = 'Say hello.', agent?: CallAgentListener, resolved: MediaStreamStart[] = [], session: RealtimeSessionConfig = SESSION_CONFIG): Harness {
  const actions: Action[] = [];
  const logs: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  const stream = new FakeTwilioStream(actions);
  const sessions: FakeRealtimeSession[] = [];
  const ended: Call[] = [];
  const events: unknown[][] = [];
  const time = { now: 0 };
  const settings: CallSettings = { session, greeting, agent };
  const call = new Call({
    stream: stream as unknown as TwilioMediaStream,
    resolveSettings: (start) => {
      resolved.push(start);
      return settings;
    },
    logger,
    onEnded: (c) => void ended.push(c),
    events: { emit: (name: string, _call: Call, ...args: unknown[]) => void events.push([name, ...args]) } as CallDependencies['events'],
    openSession: (listener, callLogger) => {
      const session = new FakeRealtimeSession(actions, listener, callLogger);
      sessions.push(session);
      return session as unknown as RealtimeSession;
    },
    now: () => time.now,
  });
  return { call, stream, sessions, actions, logs, ended, events, time };
}

function server(call: Call, event: RealtimeServerEvent): void {
  call.onServerEvent(event);
}

const created = (id: string): RealtimeServerEvent => ({ type: 'response.created', event_id: 'evt_c', response: { id, status: 'in_progress' } });
const done = (id: string): RealtimeServerEvent => ({ type: 'response.done', event_id: 'evt_d', response: { id, status: 'completed' } });
const delta = (responseId: string, itemId: string, ms: number): RealtimeServerEvent => ({
  type: 'response.output_audio.delta',
  event_id: 'evt_a',
  response_id: responseId,
  item_id: itemId,
  output_index: 0,
  content_index: 0,
  delta: audio(ms),
});
const audioDone = (responseId: string, itemId: string): RealtimeServerEvent => ({ type: 'response.output_audio.done', event_id: 'evt_ad', response_id: responseId, item_id: itemId, output_index: 0, content_index: 0 });
const speechStarted: RealtimeServerEvent = { type: 'input_audio_buffer.speech_started', event_id: 'evt_s', audio_start_ms: 1000, item_id: 'item_caller' };

const twilioActions = (actions: Action[]) => actions.filter((a) => a.to === 'twilio');
const sentToOpenAi = (actions: Action[]) => actions.flatMap((a) => (a.to === 'openai' && a.kind === 'send' ? [a.event] : []));
const markNames = (actions: Action[]) => actions.flatMap((a) => (a.to === 'twilio' && a.kind === 'mark' ? [a.name] : []));

describe('Call', () => {
  let h: Harness;

  beforeEach(() => {
    h = makeCall();
  });

  /** Starts the call and clears the setup actions, so each test sees only what it caused. */
  function startedCall(greeting?: string): Harness {
    if (greeting !== undefined) h = makeCall(greeting);
    h.stream.listener!.onStreamStart(START);
    h.call.onSessionReady();
    h.actions.length = 0;
    return h;
  }

  describe('start', () => {
    it('registers itself as the stream listener', () => {
      expect(h.stream.listener).toBe(h.call);
      expect(h.call.state).toBe('connecting');
    });

    it('opens, configures and connects the OpenAI session on start', () => {
      h.call.onStreamStart(START);

      expect(h.call.state).toBe('active');
      expect(h.call.callSid).toBe(START.callSid);
      expect(h.call.streamSid).toBe(START.streamSid);
      expect(h.call.customParameters).toEqual(START.customParameters);
      expect(h.sessions).toHaveLength(1);
      expect(h.sessions[0]!.listener).toBe(h.call);
      expect(h.actions).toEqual([
        { to: 'openai', kind: 'configure', config: SESSION_CONFIG },
        { to: 'openai', kind: 'connect' },
      ]);
    });

    it('gives the session a logger carrying the call and stream SIDs', () => {
      h.call.onStreamStart(START);
      h.sessions[0]!.logger.info('hello');
      expect(h.logs.at(-1)).toMatchObject({ msg: 'hello', callSid: START.callSid, streamSid: START.streamSid });
    });

    it('ignores a second start', () => {
      h.call.onStreamStart(START);
      h.call.onStreamStart({ ...START, streamSid: 'MZ_other' });
      expect(h.sessions).toHaveLength(1);
      expect(h.call.streamSid).toBe(START.streamSid);
    });
  });

  describe('caller audio', () => {
    it('forwards caller audio to the session unchanged and in order', () => {
      h.call.onStreamStart(START);
      h.call.onCallerAudio('AAAA', 20);
      h.call.onCallerAudio('//8=', 40);
      expect(h.actions.filter((a) => a.kind === 'append')).toEqual([
        { to: 'openai', kind: 'append', audio: 'AAAA' },
        { to: 'openai', kind: 'append', audio: '//8=' },
      ]);
    });

    it('drops caller audio that arrives before start without failing', () => {
      expect(() => h.call.onCallerAudio('AAAA', 0)).not.toThrow();
      expect(h.actions).toEqual([]);
    });

    const frame = audio(20);
    const appended = () => h.actions.flatMap((a) => (a.kind === 'append' ? [a.audio] : []));

    it('fills a jump in the media timestamps with µ-law silence before the frame, and nothing while in step', () => {
      startedCall();
      // Frames in real time (caller audio is paced: faster than about 1.2x real time is dropped).
      for (let ms = 1000; ms < 3000; ms += 20) {
        h.time.now += 20;
        h.call.onCallerAudio(frame, ms);
      }
      expect(appended()).toEqual(new Array(100).fill(frame));
      h.actions.length = 0;
      h.time.now += 540;
      h.call.onCallerAudio(frame, 3000 + 520); // 520 ms of frames never came
      expect(appended()).toEqual([...new Array(5).fill(MULAW_SILENCE_100_MS), MULAW_SILENCE_20_MS, frame]);
      expect(h.call.traffic).toMatchObject({ framesFromCaller: 101, silenceFilledMs: 520 });
    });

    it('paces caller audio and the silence filled for it together: jumps at every frame cannot outrun the pace', () => {
      startedCall();
      const bytes = () => h.actions.reduce((sum, a) => sum + (a.kind === 'append' ? Buffer.from(a.audio, 'base64').length : 0), 0);
      // Frames in real time, each claiming a 2 s jump in Twilio's timestamps (a broken or hostile peer).
      for (let i = 0, ms = 0; i < 3000; i++, ms += 2020) {
        h.time.now += 20;
        h.call.onCallerAudio(frame, ms);
      }
      const audioSeconds = bytes() / 8000;
      // 60 s of wall time: one 2 s burst plus 1.2x real time, and one gap's fill at most beyond it.
      expect(audioSeconds).toBeLessThanOrEqual(2 + 1.2 * 60 + 2.1);
      expect(h.call.traffic.bytesDroppedFromCaller).toBeGreaterThan(0);
    });

    it('counts a flood faster than the pace as dropped, and fills no silence for the dropped frames', () => {
      startedCall();
      // 10 s of audio in one instant: the 2 s burst passes, the rest is dropped; timestamps in step.
      for (let ms = 0; ms < 10_000; ms += 20) h.call.onCallerAudio(frame, ms);
      expect(appended()).toEqual(new Array(100).fill(frame));
      expect(h.call.traffic.bytesDroppedFromCaller).toBe(400 * 160);
      // Real time again: the next frame is in step with the ones dropped, so no silence is filled.
      h.actions.length = 0;
      h.time.now += 1000;
      h.call.onCallerAudio(frame, 10_000);
      expect(appended()).toEqual([frame]);
      expect(h.call.traffic.silenceFilledMs).toBe(0);
    });

    it('when media stops, lets the model hear silence in real time from 500 ms on, once the session is ready', () => {
      startedCall();
      for (let ms = 0; ms < 200; ms += 20) h.call.onCallerAudio(frame, ms);
      h.actions.length = 0;
      h.sessions[0]!.isReady = false; // reconnecting: nothing is padded into the pre-ready buffer
      for (let i = 0; i < 10; i++) h.call.onTick();
      expect(appended()).toEqual([]);
      h.sessions[0]!.isReady = true;
      for (let i = 0; i < 5; i++) h.call.onTick();
      expect(appended()).toEqual([]);
      h.call.onTick();
      expect(appended()).toEqual([...new Array(4).fill(MULAW_SILENCE_100_MS), ...new Array(4).fill(MULAW_SILENCE_20_MS)]);
      h.call.onTick();
      expect(appended()).toHaveLength(9);
      h.call.end('caller-hung-up');
      h.call.onTick();
      expect(appended()).toHaveLength(9);
    });

    it('joins the shared ticker at start and leaves it at the end', () => {
      const ticking = new Set<unknown>();
      const actions: Action[] = [];
      const stream = new FakeTwilioStream(actions);
      const call = new Call({
        stream: stream as unknown as TwilioMediaStream,
        resolveSettings: () => ({ session: SESSION_CONFIG, greeting: '' }),
        logger: pino({ level: 'silent' }),
        onEnded: () => undefined,
        events: { emit: () => undefined } as unknown as CallDependencies['events'],
        openSession: (listener, logger) => new FakeRealtimeSession(actions, listener, logger) as unknown as RealtimeSession,
        ticker: { add: (c) => void ticking.add(c), remove: (c) => void ticking.delete(c) },
      });
      expect(ticking.size).toBe(0);
      call.onStreamStart(START);
      expect([...ticking]).toEqual([call]);
      call.onStreamStop();
      expect(ticking.size).toBe(0);
    });
  });

  describe('greeting', () => {
    it("asks for the greeting once the session is ready, after the session's own instructions (which it would otherwise replace)", () => {
      h.call.onStreamStart(START);
      expect(sentToOpenAi(h.actions)).toEqual([]);
      h.call.onSessionReady();
      expect(sentToOpenAi(h.actions)).toEqual([{ type: 'response.create', response: { instructions: 'be brief\n\nSay hello.' } }]);
    });

    it('keeps the persona on every response it asks for, and sends a plain response.create without turn instructions', () => {
      startedCall();
      h.call.requestResponse('Say a short, friendly goodbye to the caller.');
      h.call.requestResponse();
      expect(sentToOpenAi(h.actions)).toEqual([
        { type: 'response.create', response: { instructions: 'be brief\n\nSay a short, friendly goodbye to the caller.' } },
        { type: 'response.create' },
      ]);
    });

    it('lets the caller speak first when the greeting is empty', () => {
      h = makeCall('');
      h.call.onStreamStart(START);
      h.call.onSessionReady();
      expect(sentToOpenAi(h.actions)).toEqual([]);
    });

    it('does not greet when the call already ended', () => {
      h.call.onStreamStart(START);
      h.call.end('server-shutdown');
      h.call.onSessionReady();
      expect(sentToOpenAi(h.actions)).toEqual([]);
    });
  });

  describe('assistant audio', () => {
    it('sends each delta to Twilio unchanged, in order', () => {
      startedCall();
      const first = delta('resp_1', 'item_1', 20);
      const second = delta('resp_1', 'item_1', 40);
      server(h.call, created('resp_1'));
      server(h.call, first);
      server(h.call, second);

      expect(twilioActions(h.actions)).toEqual([
        { to: 'twilio', kind: 'audio', payload: (first as { delta: string }).delta },
        { to: 'twilio', kind: 'audio', payload: (second as { delta: string }).delta },
      ]);
      expect(h.call.assistantSpeaking).toBe(true);
    });

    it('marks every 300 ms of audio and the end of each item, not every delta', () => {
      startedCall();
      server(h.call, created('resp_1'));
      for (let i = 0; i < 50; i++) server(h.call, delta('resp_1', 'item_1', 20)); // 1 s in 20 ms deltas
      server(h.call, audioDone('resp_1', 'item_1'));
      server(h.call, done('resp_1'));

      const kinds = twilioActions(h.actions).map((a) => a.kind);
      expect(kinds.filter((kind) => kind === 'audio')).toHaveLength(50);
      // After 300, 600 and 900 ms of audio, and the end of the item at 1000 ms: 4 marks, not 50.
      expect(markNames(h.actions)).toHaveLength(4);
      expect(new Set(markNames(h.actions)).size).toBe(4);
      expect(kinds.indexOf('mark')).toBe(15);
      expect(kinds.at(-1)).toBe('mark');
    });

    it("sends the item's end mark at response.done when its audio's done event did not come", () => {
      startedCall();
      server(h.call, created('resp_1'));
      server(h.call, delta('resp_1', 'item_1', 100));
      expect(markNames(h.actions)).toEqual([]);
      server(h.call, done('resp_1'));
      expect(markNames(h.actions)).toHaveLength(1);
    });

    it('counts the assistant as speaking until the end mark is echoed, even once the audio should have played', () => {
      startedCall();
      server(h.call, created('resp_1'));
      server(h.call, delta('resp_1', 'item_1', 20));
      server(h.call, delta('resp_1', 'item_1', 20));
      server(h.call, audioDone('resp_1', 'item_1'));
      server(h.call, done('resp_1'));
      h.time.now += 200;
      // Played by now says the clock, but hang-up and transfer wait for the proof.
      expect(h.call.assistantSpeaking).toBe(true);
      h.call.onMarkPlayed(markNames(h.actions).at(-1)!);
      expect(h.call.assistantSpeaking).toBe(false);
    });
  });

  describe('barge-in', () => {
    it('clears Twilio, truncates the item at what was heard by now, then cancels the response', () => {
      startedCall();
      server(h.call, created('resp_1'));
      server(h.call, delta('resp_1', 'item_1', 200));
      server(h.call, delta('resp_1', 'item_1', 300));
      h.time.now += 200;
      h.actions.length = 0;

      server(h.call, speechStarted);

      expect(h.actions).toEqual([
        { to: 'twilio', kind: 'clear' },
        { to: 'openai', kind: 'send', event: { type: 'conversation.item.truncate', item_id: 'item_1', content_index: 0, audio_end_ms: 200 } },
        { to: 'openai', kind: 'send', event: { type: 'response.cancel', response_id: 'resp_1' } },
      ]);
      expect(h.call.assistantSpeaking).toBe(false);
      expect(h.events).toContainEqual(['bargeIn', [{ itemId: 'item_1', playedMs: 200, sentMs: 500 }]]);
    });

    it('truncates inside the first delta at what was heard: it does not delete what the caller heard', () => {
      startedCall();
      server(h.call, created('resp_1'));
      server(h.call, delta('resp_1', 'item_1', 500));
      h.time.now += 180;
      h.actions.length = 0;

      server(h.call, speechStarted);

      expect(sentToOpenAi(h.actions)[0]).toEqual({ type: 'conversation.item.truncate', item_id: 'item_1', content_index: 0, audio_end_ms: 180 });
    });

    it('deletes an item the caller heard none of instead of truncating it', () => {
      startedCall();
      server(h.call, created('resp_1'));
      server(h.call, delta('resp_1', 'item_1', 200));
      h.actions.length = 0;

      server(h.call, speechStarted);

      expect(sentToOpenAi(h.actions)).toEqual([
        { type: 'conversation.item.delete', item_id: 'item_1' },
        { type: 'response.cancel', response_id: 'resp_1' },
      ]);
    });

    it('truncates without cancelling when the response already finished but its audio is still playing', () => {
      startedCall();
      server(h.call, created('resp_1'));
      server(h.call, delta('resp_1', 'item_1', 100));
      server(h.call, delta('resp_1', 'item_1', 100));
      server(h.call, audioDone('resp_1', 'item_1'));
      server(h.call, done('resp_1'));
      h.time.now += 100;
      h.actions.length = 0;

      server(h.call, speechStarted);

      expect(twilioActions(h.actions)).toEqual([{ to: 'twilio', kind: 'clear' }]);
      expect(sentToOpenAi(h.actions)).toEqual([
        { type: 'conversation.item.truncate', item_id: 'item_1', content_index: 0, audio_end_ms: 100 },
      ]);
    });

    it('does nothing to either side when the caller speaks while nothing is playing', () => {
      startedCall();
      server(h.call, speechStarted);
      expect(h.actions).toEqual([]);

      // Also after the assistant finished and everything it said was heard.
      server(h.call, created('resp_1'));
      server(h.call, delta('resp_1', 'item_1', 100));
      server(h.call, audioDone('resp_1', 'item_1'));
      server(h.call, done('resp_1'));
      h.time.now += 100;
      h.call.onMarkPlayed(markNames(h.actions).at(-1)!);
      h.actions.length = 0;
      server(h.call, speechStarted);
      expect(h.actions).toEqual([]);
      expect(h.events.filter(([name]) => name === 'bargeIn')).toEqual([]);
    });

    it('neither clears nor cuts just after playback ended, with the end mark still on its way back', () => {
      startedCall();
      server(h.call, created('resp_1'));
      server(h.call, delta('resp_1', 'item_1', 300));
      server(h.call, delta('resp_1', 'item_1', 100));
      server(h.call, audioDone('resp_1', 'item_1'));
      server(h.call, done('resp_1'));
      h.time.now += 430; // ended 30 ms ago; the echoes are late
      const marks = markNames(h.actions);
      h.actions.length = 0;

      server(h.call, speechStarted);

      expect(h.actions).toEqual([]);
      expect(h.events.filter(([name]) => name === 'bargeIn')).toEqual([]);
      // The echoes still come (no clear was sent) and still count as proof.
      expect(h.call.assistantSpeaking).toBe(true);
      for (const name of marks) h.call.onMarkPlayed(name);
      expect(h.call.assistantSpeaking).toBe(false);
    });

    it('cuts an answer that stalled with all its audio heard at what was sent, without a clear', () => {
      startedCall();
      server(h.call, created('resp_1'));
      server(h.call, delta('resp_1', 'item_1', 200));
      h.time.now += 600; // the model is slow: Twilio has played everything it got
      h.actions.length = 0;

      server(h.call, speechStarted);

      expect(twilioActions(h.actions)).toEqual([]);
      expect(sentToOpenAi(h.actions)[0]).toEqual({ type: 'conversation.item.truncate', item_id: 'item_1', content_index: 0, audio_end_ms: 200 });
      expect(h.events).toContainEqual(['bargeIn', [{ itemId: 'item_1', playedMs: 200, sentMs: 200 }]]);
    });

    it('drops late audio of the interrupted response but plays the next response', () => {
      startedCall();
      server(h.call, created('resp_1'));
      server(h.call, delta('resp_1', 'item_1', 100));
      server(h.call, speechStarted);
      h.actions.length = 0;

      server(h.call, delta('resp_1', 'item_1', 100));
      server(h.call, audioDone('resp_1', 'item_1'));
      expect(h.actions).toEqual([]);
      expect(h.call.assistantSpeaking).toBe(false);

      server(h.call, done('resp_1'));
      expect(h.actions).toEqual([]);
      server(h.call, created('resp_2'));
      const next = delta('resp_2', 'item_2', 100);
      server(h.call, next);
      expect(twilioActions(h.actions)).toEqual([{ to: 'twilio', kind: 'audio', payload: (next as { delta: string }).delta }]);
      expect(h.call.assistantSpeaking).toBe(true);
    });

    it('drops audio of a response the caller interrupted before any of it was sent, and cancels it', () => {
      startedCall();
      server(h.call, created('resp_1'));
      server(h.call, speechStarted);
      server(h.call, delta('resp_1', 'item_1', 100));
      // Nothing played: no clear, nothing to cut; without server VAD interrupting, the call cancels.
      expect(h.actions).toEqual([{ to: 'openai', kind: 'send', event: { type: 'response.cancel', response_id: 'resp_1' } }]);
    });

    it('does not count marks echoed after a clear as heard audio', () => {
      startedCall();
      server(h.call, created('resp_1'));
      server(h.call, delta('resp_1', 'item_1', 300));
      server(h.call, delta('resp_1', 'item_1', 300));
      const firstTurnMarks = markNames(h.actions);
      expect(firstTurnMarks).toHaveLength(2);
      h.time.now += 50;
      server(h.call, speechStarted);
      // Twilio echoes every pending mark after clear.
      for (const name of firstTurnMarks) h.call.onMarkPlayed(name);
      server(h.call, done('resp_1'));

      server(h.call, created('resp_2'));
      server(h.call, delta('resp_2', 'item_2', 300));
      // A stale echo arriving late must not count toward the new item either.
      h.call.onMarkPlayed(firstTurnMarks[1]!);
      h.actions.length = 0;
      server(h.call, speechStarted);

      expect(sentToOpenAi(h.actions)).toEqual([
        { type: 'conversation.item.delete', item_id: 'item_2' },
        { type: 'response.cancel', response_id: 'resp_2' },
      ]);
    });

    it('measures a later turn from its own start', () => {
      startedCall();
      // Turn 1: 300 ms, all heard.
      server(h.call, created('resp_1'));
      server(h.call, delta('resp_1', 'item_1', 300));
      server(h.call, audioDone('resp_1', 'item_1'));
      server(h.call, done('resp_1'));
      h.time.now += 300;
      h.call.onMarkPlayed(markNames(h.actions).at(-1)!);
      h.time.now += 2000;
      // Turn 2: 200 ms sent, 120 ms heard.
      h.actions.length = 0;
      server(h.call, created('resp_2'));
      server(h.call, delta('resp_2', 'item_2', 120));
      server(h.call, delta('resp_2', 'item_2', 80));
      h.time.now += 120;
      h.actions.length = 0;

      server(h.call, speechStarted);

      expect(sentToOpenAi(h.actions)).toContainEqual({
        type: 'conversation.item.truncate',
        item_id: 'item_2',
        content_index: 0,
        audio_end_ms: 120,
      });
    });

    describe('with server VAD interrupting responses itself', () => {
      const serverVad = {
        ...SESSION_CONFIG,
        audio: { input: { turn_detection: { type: 'server_vad', create_response: true, interrupt_response: true } } },
      } as unknown as RealtimeSessionConfig;

      beforeEach(() => {
        h = makeCall('Say hello.', undefined, [], serverVad);
      });

      /** The shared ticker, every 100 ms, for `ms`. */
      const tickFor = (ms: number) => {
        for (let elapsed = 0; elapsed < ms; elapsed += 100) {
          h.time.now += 100;
          h.call.onTick();
        }
      };

      it('leaves the cancel to the server: no response.cancel when the server cancelled', () => {
        startedCall();
        server(h.call, created('resp_1'));
        server(h.call, delta('resp_1', 'item_1', 500));
        h.time.now += 100;
        server(h.call, speechStarted);
        server(h.call, { type: 'response.done', event_id: 'evt_d', response: { id: 'resp_1', status: 'cancelled' } });
        tickFor(CANCEL_GRACE_MS * 2);

        expect(sentToOpenAi(h.actions)).toEqual([{ type: 'conversation.item.truncate', item_id: 'item_1', content_index: 0, audio_end_ms: 100 }]);
        expect(twilioActions(h.actions)).toContainEqual({ to: 'twilio', kind: 'clear' });
      });

      it('cancels a response the server left running once it had its chance', () => {
        startedCall();
        server(h.call, created('resp_1'));
        server(h.call, delta('resp_1', 'item_1', 500));
        server(h.call, speechStarted);
        tickFor(CANCEL_GRACE_MS - 100);
        expect(sentToOpenAi(h.actions).map((e) => e.type)).toEqual(['conversation.item.delete']);
        tickFor(100);
        expect(sentToOpenAi(h.actions).at(-1)).toEqual({ type: 'response.cancel', response_id: 'resp_1' });
        tickFor(1000);
        expect(sentToOpenAi(h.actions).filter((e) => e.type === 'response.cancel')).toHaveLength(1);
      });

      it('sends no late cancel after the call ended', () => {
        startedCall();
        server(h.call, created('resp_1'));
        server(h.call, speechStarted);
        h.call.end('caller-hung-up');
        h.actions.length = 0;
        tickFor(CANCEL_GRACE_MS);
        expect(sentToOpenAi(h.actions)).toEqual([]);
      });
    });
  });

  describe('ending', () => {
    it('ends on stop: closes the session and the stream and reports the end once', () => {
      startedCall();
      h.stream.listener!.onStreamStop();

      expect(h.call.state).toBe('ended');
      expect(h.call.endReason).toBe('caller-hung-up');
      expect(h.actions).toEqual([
        { to: 'openai', kind: 'close' },
        { to: 'twilio', kind: 'close', code: 1000, reason: 'caller-hung-up' },
      ]);
      expect(h.ended).toEqual([h.call]);

      // Whatever arrives afterwards changes nothing.
      h.call.onStreamClosed(1000);
      h.call.end('server-shutdown');
      h.call.onSessionClosed({ code: 1006, reason: '', initiatedLocally: false });
      expect(h.ended).toHaveLength(1);
      expect(h.call.endReason).toBe('caller-hung-up');
      expect(h.events.filter(([name]) => name === 'callEnded')).toEqual([['callEnded', 'caller-hung-up']]);
    });

    it('while a Twilio request is under way a stop waits for its answer, ending the call as the requester says, or after the grace', () => {
      vi.useFakeTimers();
      try {
        startedCall();
        const settle = h.call.awaitTwilio();
        h.stream.listener!.onStreamStop();
        h.call.onStreamClosed(1000);
        expect(h.call.state).toBe('active');
        expect(settle()).toBe('caller-hung-up');
        h.call.end('transferred');
        expect(h.call.endReason).toBe('transferred');
        expect(h.events.filter(([name]) => name === 'callEnded')).toEqual([['callEnded', 'transferred']]);

        startedCall('Say hello.');
        h.call.awaitTwilio(); // never answered
        h.stream.listener!.onStreamStop();
        vi.advanceTimersByTime(TWILIO_ANSWER_GRACE_MS - 1);
        expect(h.call.state).toBe('active');
        vi.advanceTimersByTime(1);
        expect(h.call.endReason).toBe('caller-hung-up');

        startedCall('Say hello.');
        const answered = h.call.awaitTwilio();
        expect(answered()).toBeUndefined(); // answered before any stop
        h.stream.listener!.onStreamStop();
        expect(h.call.endReason).toBe('caller-hung-up');
      } finally {
        vi.useRealTimers();
      }
    });

    it('does not report the end of a stream that never started', () => {
      h.call.onStreamClosed(1006);
      expect(h.call.endReason).toBe('stream-closed');
      expect(h.ended).toEqual([h.call]);
      expect(h.events.filter(([name]) => name === 'callEnded')).toEqual([]);
    });

    it('ends when Twilio closes the socket without a stop', () => {
      startedCall();
      h.call.onStreamClosed(1006);
      expect(h.call.endReason).toBe('stream-closed');
      expect(h.actions.some((a) => a.to === 'openai' && a.kind === 'close')).toBe(true);
      expect(h.ended).toHaveLength(1);
    });

    it('forwards nothing after the call ended', () => {
      startedCall();
      server(h.call, created('resp_1'));
      h.call.end('server-shutdown');
      h.actions.length = 0;
      server(h.call, delta('resp_1', 'item_1', 100));
      expect(h.actions).toEqual([]);
    });

    it.each<[string, RealtimeCloseInfo, string, number]>([
      ['a normal close', { code: 1000, reason: 'bye', initiatedLocally: false }, 'openai-closed', 1000],
      ['a going-away close', { code: 1001, reason: '', initiatedLocally: false }, 'openai-closed', 1000],
      ['an abnormal close code', { code: 1006, reason: '', initiatedLocally: false }, 'openai-failed', 1011],
      ['an application close code', { code: 4000, reason: 'kicked', initiatedLocally: false }, 'openai-failed', 1011],
      ['a socket error', { code: 1000, reason: '', initiatedLocally: false, error: new Error('boom') }, 'openai-failed', 1011],
    ])('ends the call when OpenAI closes with %s', (_label, info, reason, twilioCode) => {
      startedCall();
      h.call.onSessionClosed(info);

      expect(h.call.state).toBe('ended');
      expect(h.call.endReason).toBe(reason);
      expect(h.actions.filter((a) => a.to === 'twilio')).toEqual([{ to: 'twilio', kind: 'close', code: twilioCode, reason }]);
      expect(h.ended).toHaveLength(1);
    });

    it('does not end the call for a close the gateway initiated itself', () => {
      startedCall();
      h.call.onSessionClosed({ code: 1000, reason: 'call ended', initiatedLocally: true });
      expect(h.call.state).toBe('active');
      expect(h.actions).toEqual([]);
      expect(h.ended).toEqual([]);
    });
  });

  describe('what OpenAI reports about the session', () => {
    it('tells observers about a caller turn OpenAI could not transcribe, with a warning', () => {
      startedCall();
      h.logs.length = 0;
      server(h.call, {
        type: 'conversation.item.input_audio_transcription.failed',
        event_id: 'evt_t',
        item_id: 'item_c1',
        content_index: 0,
        // OpenAI sends null for a missing code, though the type says string.
        error: { type: 'transcription_error', code: null as unknown as string, message: 'The audio could not be transcribed.' },
      });
      expect(h.events).toContainEqual(['callerTranscriptionFailed', 'item_c1', { code: 'unknown', message: 'The audio could not be transcribed.' }]);
      expect(h.logs.filter((l) => l.level === 40)).toMatchObject([{ itemId: 'item_c1', code: 'unknown' }]);
      expect(h.call.state).toBe('active');
    });

    it("passes a caller transcript's usage, rate limits and dropped session features on to observers", () => {
      startedCall();
      server(h.call, { type: 'conversation.item.input_audio_transcription.completed', event_id: 'e', item_id: 'c1', content_index: 0, transcript: 'Hi', usage: { type: 'duration', seconds: 2.5 } });
      server(h.call, { type: 'rate_limits.updated', event_id: 'e', rate_limits: [{ name: 'tokens', limit: 100, remaining: 40, reset_seconds: 1 }] });
      h.call.onSessionDegraded('noise_reduction');
      expect(h.events.filter(([name]) => name !== 'callStarted' && name !== 'sessionReady')).toEqual([
        ['callerTranscript', 'c1', 'Hi', { type: 'duration', seconds: 2.5 }],
        ['rateLimitsUpdated', [{ name: 'tokens', limit: 100, remaining: 40, reset_seconds: 1 }]],
        ['openAiFeatureDropped', 'noise_reduction'],
      ]);
      expect(h.call.model).toBe('gpt-realtime');
    });
  });

  describe('OpenAI errors', () => {
    it.each(['response_cancel_not_active', 'conversation_already_has_active_response'])(
      'keeps the call up without a warning for the benign %s',
      (code) => {
        startedCall();
        h.logs.length = 0;
        server(h.call, { type: 'error', event_id: 'evt_e', error: { type: 'invalid_request_error', code, message: 'race' } });
        expect(h.call.state).toBe('active');
        expect(h.actions).toEqual([]);
        expect(h.logs.filter((l) => (l.level as number) >= 40)).toEqual([]);
      },
    );

    it('logs other errors as warnings but keeps the call up', () => {
      startedCall();
      h.logs.length = 0;
      server(h.call, { type: 'error', event_id: 'evt_e', error: { type: 'invalid_request_error', code: 'invalid_value', message: 'bad' } });
      expect(h.call.state).toBe('active');
      expect(h.ended).toEqual([]);
      expect(h.logs.filter((l) => l.level === 40)).toHaveLength(1);
      expect(h.logs.at(-1)).toMatchObject({ code: 'invalid_value', callSid: START.callSid });
    });
  });

  describe('media-stream violations', () => {
    it('logs each kind of violation once, however often it happens', () => {
      startedCall();
      h.logs.length = 0;
      for (let i = 0; i < 5; i++) h.call.onViolation('binary-frame', 'Twilio sends JSON text frames only');
      h.call.onViolation('malformed-json', 'frame is not valid JSON');
      h.call.onViolation('malformed-json', 'frame is not valid JSON');

      const warnings = h.logs.filter((l) => l.level === 40);
      expect(warnings.map((l) => l.violation)).toEqual(['binary-frame', 'malformed-json']);
      expect(h.call.state).toBe('active');
    });
  });

  describe('agent (tools, keypad, call control)', () => {
    function withAgent() {
      const calls: unknown[][] = [];
      const agent: CallAgentListener = {
        onFunctionCall: (c) => void calls.push(['function', c]),
        onDtmf: (d) => void calls.push(['dtmf', d]),
        onResponseDone: (id) => void calls.push(['done', id]),
        onMarkPlayed: () => void calls.push(['mark']),
        onCallerSpeechStarted: () => void calls.push(['speech']),
        dispose: () => void calls.push(['dispose']),
      };
      const resolved: MediaStreamStart[] = [];
      h = makeCall('Say hello.', agent, resolved);
      return { calls, resolved };
    }

    it('resolves its settings from the start message, once', () => {
      const { resolved } = withAgent();
      expect(resolved).toEqual([]);
      h.call.onStreamStart(START);
      h.call.onStreamStart({ ...START, streamSid: 'MZ_other' });
      expect(resolved).toEqual([START]);
    });

    it('hands function calls, keypad presses, response ends and marks to the agent, and disposes it on end', () => {
      const { calls } = withAgent();
      h.call.onStreamStart(START);
      h.call.onSessionReady();
      server(h.call, { type: 'response.function_call_arguments.done', event_id: 'evt_f', response_id: 'r1', item_id: 'i1', output_index: 0, call_id: 'c1', name: 'get_current_time', arguments: '{}' });
      server(h.call, done('r1'));
      h.call.onDtmf('5');
      server(h.call, created('r2'));
      server(h.call, delta('r2', 'i2', 300));
      h.call.onMarkPlayed(markNames(h.actions)[0]!);
      h.call.onStreamStop();

      expect(calls).toEqual([
        ['function', { callId: 'c1', name: 'get_current_time', arguments: '{}', responseId: 'r1' }],
        ['done', 'r1'],
        ['dtmf', '5'],
        ['mark'],
        ['dispose'],
      ]);
    });

    it('on an OpenAI reconnect, forgets the lost response: the agent stops waiting, its stragglers are dropped', () => {
      const { calls } = withAgent();
      h.call.onStreamStart(START);
      server(h.call, created('r1'));
      h.call.onSessionReconnecting(1);
      expect(h.call.responseActive).toBe(false);
      expect(calls).toContainEqual(['done', 'r1']);
      expect(h.events).toContainEqual(['openAiReconnect', 1]);
      h.actions.length = 0;
      server(h.call, delta('r1', 'i1', 100));
      expect(h.actions).toEqual([]);
    });

    it('tells the agent whether a response is running and whether it sent audio', () => {
      withAgent();
      h.call.onStreamStart(START);
      server(h.call, created('r1'));
      expect(h.call.responseActive).toBe(true);
      expect(h.call.responseHadAudio('r1')).toBe(false);
      server(h.call, delta('r1', 'i1', 20));
      expect(h.call.responseHadAudio('r1')).toBe(true);
      server(h.call, done('r1'));
      expect(h.call.responseActive).toBe(false);
    });

    it('sends nothing to the model for the agent once the call ended', () => {
      withAgent();
      h.call.onStreamStart(START);
      h.call.onStreamStop();
      h.actions.length = 0;
      h.call.sendToModel({ type: 'response.create' });
      expect(sentToOpenAi(h.actions)).toEqual([]);
    });
  });

  describe('warm-transfer hold and out-of-band text', () => {
    const textDelta = (responseId: string, text: string): RealtimeServerEvent => ({
      type: 'response.output_text.delta',
      event_id: 'evt_t',
      response_id: responseId,
      item_id: 'item_side',
      output_index: 0,
      content_index: 0,
      delta: text,
    });
    const sideCreated = (id: string, requestId: string): RealtimeServerEvent => ({
      type: 'response.created',
      event_id: 'evt_c',
      response: { id, status: 'in_progress', conversation_id: null as unknown as string, metadata: { gateway_side_text: requestId } },
    });

    it('asks for text out of band and resolves with it, without touching the conversation bookkeeping', async () => {
      const agent = { onFunctionCall() {}, onDtmf() {}, onResponseDone: (id: string) => void doneFor.push(id), onMarkPlayed() {}, onCallerSpeechStarted() {}, dispose() {} };
      const doneFor: string[] = [];
      h = makeCall('', agent);
      startedCall();
      const text = h.call.requestSideText('Summarise.', 2000);
      const request = sentToOpenAi(h.actions)[0] as { response: Record<string, any> };
      expect(request.response).toMatchObject({ conversation: 'none', output_modalities: ['text'], tool_choice: 'none', instructions: 'Summarise.' });
      const requestId = request.response.metadata.gateway_side_text;
      server(h.call, sideCreated('resp_side', requestId));
      expect(h.call.responseActive).toBe(false);
      server(h.call, textDelta('resp_side', 'The caller '));
      server(h.call, textDelta('resp_side', 'wants a refund.'));
      server(h.call, done('resp_side'));
      expect(await text).toBe('The caller wants a refund.');
      expect(doneFor).toEqual([]);
      expect(h.events.filter((e) => e[0] === 'responseDone')).toHaveLength(1);
    });

    it('gives up after the timeout; the late response stays out of the conversation', async () => {
      const doneFor: string[] = [];
      const agent = { onFunctionCall() {}, onDtmf() {}, onResponseDone: (id: string) => void doneFor.push(id), onMarkPlayed() {}, onCallerSpeechStarted() {}, dispose() {} };
      h = makeCall('', agent);
      startedCall();
      const text = h.call.requestSideText('Summarise.', 5);
      expect(await text).toBeUndefined();
      const requestId = (sentToOpenAi(h.actions)[0] as { response: Record<string, any> }).response.metadata.gateway_side_text;
      server(h.call, sideCreated('resp_late', requestId));
      server(h.call, done('resp_late'));
      expect(h.call.responseActive).toBe(false);
      expect(doneFor).toEqual([]);
    });

    it('on hold: hold audio goes out, caller audio and keys do not reach the model; ending the hold clears it', () => {
      const digits: string[] = [];
      const agent = { onFunctionCall() {}, onDtmf: (d: string) => void digits.push(d), onResponseDone() {}, onMarkPlayed() {}, onCallerSpeechStarted() {}, dispose() {} };
      h = makeCall('', agent);
      startedCall();
      h.call.startHold();
      expect(h.call.onHold).toBe(true);
      const holdAudio = twilioActions(h.actions).filter((a) => a.kind === 'audio');
      expect(holdAudio.length).toBeGreaterThan(0);
      h.call.onCallerAudio(audio(20), 20);
      h.call.onDtmf('5');
      h.time.now += 1000;
      h.call.onTick();
      expect(h.actions.filter((a) => a.to === 'openai')).toEqual([]);
      expect(digits).toEqual([]);
      expect(twilioActions(h.actions).filter((a) => a.kind === 'audio').length).toBeGreaterThan(holdAudio.length);
      h.call.stopHold();
      expect(twilioActions(h.actions).at(-1)).toEqual({ to: 'twilio', kind: 'clear' });
      h.call.onCallerAudio(audio(20), 1040);
      expect(h.actions.filter((a) => a.to === 'openai' && a.kind === 'append').length).toBeGreaterThan(0);
    });
  });
});
