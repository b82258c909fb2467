import { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders } from 'node:http';
import WebSocket, { RawData } from 'ws';
import { MULAW_BYTES_PER_MS, mulawLevel } from '../audio/mulaw';
import { toneVoice } from './tone-voice';

/** How a simulated session behaves when the test does not script it. */
export interface SimulatedSessionBehaviour {
  /** Detect caller turns on the appended audio and answer them (server VAD with create_response). */
  autoRespond: boolean;
  /** Mean µ-law amplitude (0..32767) above which appended audio counts as speech. */
  speechLevel: number;
  /** Size of each `response.output_audio.delta`, in milliseconds of audio. */
  deltaMs: number;
  /** Time between deltas; below deltaMs means faster than real time, as OpenAI is. */
  deltaIntervalMs: number;
  /** What the caller "said", for input transcription. */
  transcribe: (audio: Buffer, turn: number) => string;
  /** The assistant's answer to a turn (or to a `response.create` with instructions). */
  /** `toolOutputs`: the function outputs added since the last response (what a tool returned). */
  reply: (input: { transcript?: string; instructions?: string; toolOutputs?: string[]; turn: number }) => string;
  /** Renders the assistant's text as µ-law audio. */
  speak: (text: string) => Buffer;
  /** Delay before `session.updated` is sent (a slow session start). */
  configureDelayMs: number;
  /**
   * Parts of a `session.update` to refuse the way OpenAI does: an `error` naming the field in
   * `param` (and echoing the update's `event_id`), and nothing of that update applied.
   */
  rejectSession: SessionRejection[];
  /** A caller turn whose transcription fails (`conversation.item.input_audio_transcription.failed`); undefined: it succeeds. */
  failTranscription: (turn: number) => { code: string; message: string } | undefined;
  /**
   * The text of an out-of-band text response (`response.create` with `conversation: "none"` and
   * `output_modalities: ["text"]`), from its instructions and the conversation so far; the default
   * summarises the conversation's transcripts.
   */
  outOfBandText: (input: { instructions?: string; conversation: Array<{ role: 'user' | 'assistant'; text: string }> }) => string;
  /** Delay before an out-of-band response starts (a slow model). */
  outOfBandDelayMs: number;
}

/** One part of a session configuration the simulated OpenAI refuses. */
export interface SessionRejection {
  /** The field, as OpenAI names it in `param`, e.g. `session.audio.input.transcription.model`. */
  param: string;
  /** Refused only with this value (compared as JSON); undefined: any value. */
  value?: unknown;
  code?: string;
  message?: string;
}

/** Transcription models OpenAI prices per minute: their usage is a duration. */
const DURATION_PRICED_TRANSCRIPTION = new Set(['gpt-transcribe', 'gpt-live-transcribe', 'gpt-realtime-whisper', 'whisper-1']);

export const DEFAULT_BEHAVIOUR: SimulatedSessionBehaviour = {
  autoRespond: true,
  speechLevel: 400,
  deltaMs: 100,
  deltaIntervalMs: 10,
  transcribe: (audio, turn) => `(simulated caller turn ${turn}: ${(audio.length / 8000).toFixed(1)} s of speech)`,
  reply: ({ instructions, turn }) =>
    instructions ? 'Hello! This is the simulated assistant. How can I help you today?' : `This is simulated reply number ${turn}.`,
  speak: toneVoice,
  configureDelayMs: 0,
  rejectSession: [],
  failTranscription: () => undefined,
  outOfBandText: ({ conversation }) => {
    const said = conversation.filter((turn) => turn.text).slice(-3);
    return said.length === 0
      ? 'The caller has not said anything yet.'
      : `Simulated summary: ${said.map((turn) => `${turn.role === 'user' ? 'the caller said' : 'the assistant said'} "${turn.text}"`).join(', then ')}.`;
  },
  outOfBandDelayMs: 0,
};

interface ItemRecord {
  id: string;
  role: 'user' | 'assistant';
  type: 'message' | 'function_call' | 'function_call_output';
  audioBytes: number;
  transcript: string;
  callId?: string;
  deleted?: boolean;
}

interface ActiveResponse {
  id: string;
  itemId: string;
  audio: Buffer;
  text: string;
  offset: number;
  timer?: NodeJS.Timeout;
  stall?: { afterMs: number; forMs: number };
}

export interface ResponseScript {
  /** Text of the reply (transcript); rendered with the session's voice unless audio is given. */
  text?: string;
  /** Exact µ-law bytes to send as audio deltas. */
  audio?: Buffer;
  instructions?: string;
  /** Function outputs the response answers (passed to `reply`). */
  toolOutputs?: string[];
  /** The model stalls mid-answer: no delta for `forMs` once `afterMs` of audio has been sent. */
  stall?: { afterMs: number; forMs: number };
}

let sessionCounter = 0;

/**
 * One simulated OpenAI Realtime conversation. Records everything the client sent so tests can
 * assert on it, and exposes methods to script the server side.
 */
export class SimulatedSession extends EventEmitter {
  readonly id = `sess_sim_${++sessionCounter}`;
  readonly model: string;
  readonly headers: IncomingHttpHeaders;
  /** Every client event except audio appends, in arrival order. */
  readonly clientEvents: Array<Record<string, any>> = [];
  /** The session configuration after all `session.update`s. */
  config: Record<string, any> = {};
  /** Audio appended before `session.updated` confirmed µ-law input (it would be read as PCM 24 kHz). */
  appendsBeforeConfigured = 0;
  /** Appends whose audio was not valid base64. */
  invalidAppends = 0;
  closedBy?: 'client' | 'server';
  /** Every `error` event sent to the client (what OpenAI would have complained about). */
  readonly sentErrors: Array<{ type: string; code: string; message: string; param?: string }> = [];
  /** `session.update`s refused because of `rejectSession` (nothing of them applied). */
  refusedUpdates = 0;
  /** Out-of-band responses answered (`conversation: "none"`): their ids, instructions, metadata and text. */
  readonly outOfBandResponses: Array<{ id: string; instructions?: string; metadata: Record<string, string> | null; text: string; at: number }> = [];

  private readonly behaviour: SimulatedSessionBehaviour;
  private readonly inputChunks: Buffer[] = [];
  private inputBytes = 0;
  private readonly outputAudioByItem = new Map<string, Buffer[]>();
  private readonly items = new Map<string, ItemRecord>();
  private active?: ActiveResponse;
  private counter = 0;
  private turn = 0;
  private speaking = false;
  private speechItemId = '';
  private speechStartByte = 0;
  private silenceMs = 0;
  private mulawConfirmed = false;
  /** Function outputs added since the last response started. */
  private toolOutputs: string[] = [];
  /** What is left of the simulated account's limits (`rate_limits.updated` at each response). */
  private requestsLeft = 5000;
  private tokensLeft = 400_000;

  constructor(
    private readonly socket: WebSocket,
    init: { model: string; headers: IncomingHttpHeaders; behaviour: Partial<SimulatedSessionBehaviour>; index: number },
  ) {
    super();
    this.model = init.model;
    this.headers = init.headers;
    this.behaviour = { ...DEFAULT_BEHAVIOUR, ...stripUndefined(init.behaviour) };
    this.config = {
      type: 'realtime',
      object: 'realtime.session',
      id: this.id,
      model: this.model,
      output_modalities: ['audio'],
      instructions: '',
      tools: [],
      tool_choice: 'auto',
      max_output_tokens: 'inf',
      audio: {
        input: {
          format: { type: 'audio/pcm', rate: 24000 },
          transcription: null,
          noise_reduction: null,
          turn_detection: {
            type: 'server_vad',
            threshold: 0.5,
            prefix_padding_ms: 300,
            silence_duration_ms: 200,
            idle_timeout_ms: null,
            create_response: true,
            interrupt_response: true,
          },
        },
        output: { format: { type: 'audio/pcm', rate: 24000 }, voice: 'marin', speed: 1 },
      },
    };
    socket.on('message', (data: RawData, isBinary: boolean) => this.handleMessage(data, isBinary));
    socket.on('close', () => {
      this.stopActive();
      this.closedBy ??= 'client';
      this.emit('closed');
    });
    socket.on('error', () => undefined);
    this.send({ type: 'session.created', session: this.config });
  }

  // ---- what the client sent -------------------------------------------------------------

  /** All caller audio appended so far, byte for byte. */
  inputAudio(): Buffer {
    return Buffer.concat(this.inputChunks);
  }

  /** All assistant audio sent so far (optionally for one item), byte for byte. */
  outputAudio(itemId?: string): Buffer {
    if (itemId) return Buffer.concat(this.outputAudioByItem.get(itemId) ?? []);
    return Buffer.concat([...this.outputAudioByItem.values()].flat());
  }

  eventsOfType(type: string): Array<Record<string, any>> {
    return this.clientEvents.filter((e) => e.type === type);
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  get activeResponseId(): string | undefined {
    return this.active?.id;
  }

  /** Resolves with the first client event of this type (already received or still to come). */
  waitForClientEvent(type: string, predicate: (e: Record<string, any>) => boolean = () => true, timeoutMs = 5000): Promise<Record<string, any>> {
    const found = this.clientEvents.find((e) => e.type === type && predicate(e));
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('client-event', onEvent);
        reject(new Error(`simulated OpenAI session did not receive ${type} within ${timeoutMs} ms`));
      }, timeoutMs);
      const onEvent = (e: Record<string, any>) => {
        if (e.type !== type || !predicate(e)) return;
        clearTimeout(timer);
        this.off('client-event', onEvent);
        resolve(e);
      };
      this.on('client-event', onEvent);
    });
  }

  /** Resolves when the client has closed the socket. */
  waitForClose(timeoutMs = 5000): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`simulated OpenAI session still open after ${timeoutMs} ms`)), timeoutMs);
      this.once('closed', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  // ---- scripting the server side -------------------------------------------------------

  /** Starts an assistant response (as after a caller turn). Resolves with its ids once all audio is sent. */
  respond(script: ResponseScript = {}): { responseId: string; itemId: string; finished: Promise<void> } {
    if (this.active) {
      this.sendError('invalid_request_error', 'conversation_already_has_active_response',
        `Conversation already has an active response in progress: ${this.active.id}. Wait until the response is finished before creating a new one.`);
      throw new Error('a response is already active');
    }
    this.turn++;
    const toolOutputs = script.toolOutputs ?? this.toolOutputs;
    this.toolOutputs = [];
    const text = script.text ?? this.behaviour.reply({ instructions: script.instructions, toolOutputs: toolOutputs.length ? toolOutputs : undefined, turn: this.turn });
    const audio = script.audio ?? this.behaviour.speak(text);
    const response: ActiveResponse = { id: this.nextId('resp'), itemId: this.nextId('item'), audio, text, offset: 0, stall: script.stall };
    this.active = response;
    this.items.set(response.itemId, { id: response.itemId, role: 'assistant', type: 'message', audioBytes: 0, transcript: '' });
    this.outputAudioByItem.set(response.itemId, []);
    this.send({ type: 'response.created', response: { object: 'realtime.response', id: response.id, status: 'in_progress', output: [], usage: null } });
    this.sendRateLimits();
    const item = { id: response.itemId, object: 'realtime.item', type: 'message', status: 'in_progress', role: 'assistant', content: [] };
    this.send({ type: 'response.output_item.added', response_id: response.id, output_index: 0, item });
    this.send({ type: 'conversation.item.added', previous_item_id: null, item });
    this.send({ type: 'response.content_part.added', response_id: response.id, item_id: response.itemId, output_index: 0, content_index: 0, part: { type: 'output_audio', transcript: '' } });
    const finished = new Promise<void>((resolve) => {
      const onDone = (id: string) => {
        if (id !== response.id) return;
        this.off('response-finished', onDone);
        resolve();
      };
      this.on('response-finished', onDone);
    });
    this.streamNextDelta(response);
    return { responseId: response.id, itemId: response.itemId, finished };
  }

  /** Makes the assistant call a function, as the model would. */
  callFunction(name: string, args: Record<string, unknown> | string): { responseId: string; callId: string; itemId: string } {
    const responseId = this.nextId('resp');
    const itemId = this.nextId('item');
    const callId = this.nextId('call');
    const argumentsText = typeof args === 'string' ? args : JSON.stringify(args);
    this.items.set(itemId, { id: itemId, role: 'assistant', type: 'function_call', audioBytes: 0, transcript: '', callId });
    const item = { id: itemId, type: 'function_call', status: 'completed', name, call_id: callId, arguments: argumentsText };
    this.send({ type: 'response.created', response: { id: responseId, status: 'in_progress', output: [] } });
    this.send({ type: 'response.output_item.added', response_id: responseId, output_index: 0, item: { ...item, status: 'in_progress', arguments: '' } });
    this.send({ type: 'response.function_call_arguments.delta', response_id: responseId, item_id: itemId, output_index: 0, call_id: callId, delta: argumentsText });
    this.send({ type: 'response.function_call_arguments.done', response_id: responseId, item_id: itemId, output_index: 0, call_id: callId, name, arguments: argumentsText });
    this.send({ type: 'response.output_item.done', response_id: responseId, output_index: 0, item });
    this.send({ type: 'response.done', response: { id: responseId, status: 'completed', output: [item], usage: usageFor(0, argumentsText) } });
    return { responseId, callId, itemId };
  }

  /** Emits server VAD's start of speech by hand (and interrupts, as `interrupt_response` would). */
  startSpeech(): string {
    this.speaking = true;
    this.speechItemId = this.nextId('item');
    this.speechStartByte = this.inputBytes;
    this.send({ type: 'input_audio_buffer.speech_started', audio_start_ms: Math.floor(this.inputBytes / MULAW_BYTES_PER_MS), item_id: this.speechItemId });
    if (this.active && this.turnDetection()?.interrupt_response !== false) this.cancelActive('turn_detected');
    return this.speechItemId;
  }

  /** Emits the end of the caller's turn by hand, commits it and (unless told otherwise) answers it. */
  stopSpeech(options: { respond?: boolean; transcript?: string } = {}): void {
    if (!this.speaking) this.startSpeech();
    this.finishTurn(options.respond ?? this.turnDetection()?.create_response !== false, options.transcript);
  }

  sendError(type: string, code: string, message: string, about: { param?: string; eventId?: string } = {}): void {
    this.sentErrors.push({ type, code, message, ...(about.param ? { param: about.param } : {}) });
    this.send({ type: 'error', event_id: this.nextId('event'), error: { type, code, message, param: about.param ?? null, event_id: about.eventId ?? null } });
  }

  /** Ends the session from the server side, as OpenAI does (e.g. 1001 on session expiry). */
  closeFromServer(code = 1000, reason = ''): void {
    this.closedBy = 'server';
    this.stopActive();
    this.socket.close(code, reason);
  }

  /** Simulates the 60-minute limit: the `session_expired` error, then a 1001 close. */
  expire(): void {
    this.sendError('invalid_request_error', 'session_expired', 'Your session hit the maximum duration of 60 minutes.');
    this.closeFromServer(1001, 'Your session hit the maximum duration of 60 minutes.');
  }

  /**
   * Stops reading what the gateway sends (the TCP socket is paused), as an OpenAI that hangs would:
   * the gateway's writes back up in its socket buffer.
   */
  stopReading(): void {
    (this.socket as unknown as { _socket?: { pause(): void } })._socket?.pause();
  }

  terminate(): void {
    this.stopActive();
    this.closedBy ??= 'server';
    this.socket.terminate();
  }

  send(event: Record<string, unknown>): void {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    this.socket.send(JSON.stringify({ event_id: this.nextId('event'), ...event }));
  }

  // ---- protocol handling ---------------------------------------------------------------

  private handleMessage(data: RawData, isBinary: boolean): void {
    if (isBinary) return this.sendError('invalid_request_error', 'invalid_event', 'Binary frames are not supported.');
    let event: Record<string, any>;
    try {
      event = JSON.parse(data.toString());
    } catch {
      return this.sendError('invalid_request_error', 'invalid_json', 'The event could not be parsed as JSON.');
    }
    if (typeof event?.type !== 'string') return this.sendError('invalid_request_error', 'invalid_event', "The 'type' field is missing.");
    if (event.type !== 'input_audio_buffer.append') {
      this.clientEvents.push(event);
      this.emit('client-event', event);
    }
    switch (event.type) {
      case 'session.update':
        return this.handleSessionUpdate(event);
      case 'input_audio_buffer.append':
        return this.handleAppend(event.audio);
      case 'input_audio_buffer.commit':
        return this.finishTurn(false);
      case 'input_audio_buffer.clear':
        this.speaking = false;
        return this.send({ type: 'input_audio_buffer.cleared' });
      case 'conversation.item.create':
        return this.handleItemCreate(event);
      case 'conversation.item.truncate':
        return this.handleTruncate(event);
      case 'conversation.item.delete':
        return this.handleDelete(event);
      case 'response.create':
        if (event.response?.conversation === 'none') return this.respondOutOfBand(event.response);
        if (this.active) {
          return this.sendError('invalid_request_error', 'conversation_already_has_active_response',
            `Conversation already has an active response in progress: ${this.active.id}. Wait until the response is finished before creating a new one.`);
        }
        this.respond({ instructions: event.response?.instructions });
        return;
      case 'response.cancel':
        if (!this.active || (event.response_id && event.response_id !== this.active.id)) {
          return this.sendError('invalid_request_error', 'response_cancel_not_active', 'Cancellation failed: no active response found');
        }
        return this.cancelActive('client_cancelled');
      default:
        return this.sendError('invalid_request_error', 'invalid_event', `Invalid value: '${String(event.type).slice(0, 80)}'. Unsupported event type.`);
    }
  }

  /**
   * An out-of-band response: it may run beside the default conversation's response, adds nothing
   * to the conversation (`conversation_id` null, no `conversation.item.*`), and, for text output,
   * sends `response.output_text.delta`/`.done`; `response.done` carries its `metadata`.
   */
  private respondOutOfBand(params: Record<string, any>): void {
    const modalities: string[] = Array.isArray(params.output_modalities) ? params.output_modalities : this.config.output_modalities ?? ['audio'];
    if (modalities.length !== 1 || (modalities[0] !== 'text' && modalities[0] !== 'audio')) {
      return this.sendError('invalid_request_error', 'invalid_value', "Invalid value for 'response.output_modalities': expected ['text'] or ['audio'].", { param: 'response.output_modalities' });
    }
    if (modalities[0] !== 'text') {
      return this.sendError('invalid_request_error', 'unsupported', 'The simulator answers out-of-band responses in text only.', { param: 'response.output_modalities' });
    }
    const metadata = params.metadata && typeof params.metadata === 'object' ? (params.metadata as Record<string, string>) : null;
    const id = this.nextId('resp');
    const itemId = this.nextId('item');
    const conversation = [...this.items.values()]
      .filter((item) => item.type === 'message' && !item.deleted && item.transcript)
      .map((item) => ({ role: item.role, text: item.transcript }));
    const text = this.behaviour.outOfBandText({ instructions: params.instructions, conversation });
    const resource = (status: string, output: unknown[], usage: unknown) => ({
      object: 'realtime.response',
      id,
      status,
      status_details: null,
      output,
      conversation_id: null,
      output_modalities: ['text'],
      max_output_tokens: params.max_output_tokens ?? 'inf',
      usage,
      metadata,
    });
    const run = () => {
      if (this.socket.readyState !== WebSocket.OPEN) return;
      this.send({ type: 'response.created', response: resource('in_progress', [], null) });
      const item = { id: itemId, object: 'realtime.item', type: 'message', status: 'in_progress', role: 'assistant', content: [] as unknown[] };
      this.send({ type: 'response.output_item.added', response_id: id, output_index: 0, item });
      const base = { response_id: id, item_id: itemId, output_index: 0, content_index: 0 };
      this.send({ type: 'response.content_part.added', ...base, part: { type: 'text', text: '' } });
      for (let offset = 0; offset < text.length; offset += 24) this.send({ type: 'response.output_text.delta', ...base, delta: text.slice(offset, offset + 24) });
      this.send({ type: 'response.output_text.done', ...base, text });
      this.send({ type: 'response.content_part.done', ...base, part: { type: 'text', text } });
      const done = { ...item, status: 'completed', content: [{ type: 'output_text', text }] };
      this.send({ type: 'response.output_item.done', response_id: id, output_index: 0, item: done });
      this.send({ type: 'response.done', response: resource('completed', [done], usageFor(0, text)) });
      this.outOfBandResponses.push({ id, instructions: params.instructions, metadata, text, at: Date.now() });
      this.emit('out-of-band-done', id);
    };
    if (this.behaviour.outOfBandDelayMs > 0) setTimeout(run, this.behaviour.outOfBandDelayMs);
    else run();
  }

  private handleSessionUpdate(event: Record<string, any>): void {
    const session = event.session;
    if (!session || session.type !== 'realtime') {
      return this.sendError('invalid_request_error', 'missing_required_parameter', "Missing required parameter: 'session.type'.", { param: 'session.type', eventId: event.event_id });
    }
    for (const rule of this.behaviour.rejectSession) {
      const value = valueAt(session, rule.param.replace(/^session\./, ''));
      if (value === undefined || (rule.value !== undefined && JSON.stringify(value) !== JSON.stringify(rule.value))) continue;
      this.refusedUpdates++;
      return this.sendError(
        'invalid_request_error',
        rule.code ?? 'invalid_value',
        rule.message ?? `Invalid value: '${String(typeof value === 'object' ? JSON.stringify(value) : value).slice(0, 80)}'. Supported values are not this one.`,
        { param: rule.param, eventId: event.event_id },
      );
    }
    this.config = deepMerge(this.config, session);
    const confirm = () => {
      this.mulawConfirmed = this.config.audio?.input?.format?.type === 'audio/pcmu';
      this.send({ type: 'session.updated', session: this.config });
    };
    if (this.behaviour.configureDelayMs > 0) setTimeout(confirm, this.behaviour.configureDelayMs);
    else confirm();
  }

  private handleAppend(audio: unknown): void {
    if (typeof audio !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(audio)) {
      this.invalidAppends++;
      return this.sendError('invalid_request_error', 'invalid_value', 'Invalid base64 audio.');
    }
    if (!this.mulawConfirmed) this.appendsBeforeConfigured++;
    const bytes = Buffer.from(audio, 'base64');
    this.inputChunks.push(bytes);
    this.inputBytes += bytes.length;
    if (this.behaviour.autoRespond && this.turnDetection()) this.detectSpeech(bytes);
  }

  private detectSpeech(chunk: Buffer): void {
    const ms = chunk.length / MULAW_BYTES_PER_MS;
    const loud = mulawLevel(chunk) > this.behaviour.speechLevel;
    if (!this.speaking) {
      if (loud) {
        this.silenceMs = 0;
        this.startSpeech();
      }
      return;
    }
    if (loud) {
      this.silenceMs = 0;
      return;
    }
    this.silenceMs += ms;
    if (this.silenceMs >= (this.turnDetection()?.silence_duration_ms ?? 500)) {
      this.finishTurn(this.turnDetection()?.create_response !== false);
    }
  }

  private finishTurn(respond: boolean, transcript?: string): void {
    const itemId = this.speaking ? this.speechItemId : this.nextId('item');
    const audio = this.inputAudio().subarray(this.speechStartByte);
    if (this.speaking) {
      this.send({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: Math.floor(this.inputBytes / MULAW_BYTES_PER_MS), item_id: itemId });
    }
    this.speaking = false;
    this.silenceMs = 0;
    this.send({ type: 'input_audio_buffer.committed', previous_item_id: null, item_id: itemId });
    const item = { id: itemId, type: 'message', status: 'completed', role: 'user', content: [{ type: 'input_audio', transcript: null }] };
    this.send({ type: 'conversation.item.added', previous_item_id: null, item });
    this.send({ type: 'conversation.item.done', previous_item_id: null, item });
    const turn = this.turn + 1;
    const text = transcript ?? this.behaviour.transcribe(audio, turn);
    this.items.set(itemId, { id: itemId, role: 'user', type: 'message', audioBytes: audio.length, transcript: text });
    const transcription = this.config.audio?.input?.transcription;
    if (transcription) {
      const failure = this.behaviour.failTranscription(turn);
      if (failure) {
        this.send({ type: 'conversation.item.input_audio_transcription.failed', item_id: itemId, content_index: 0, error: { type: 'transcription_error', code: failure.code, message: failure.message, param: null } });
      } else {
        const usage = DURATION_PRICED_TRANSCRIPTION.has(transcription.model)
          ? { type: 'duration', seconds: Math.round((audio.length / (MULAW_BYTES_PER_MS * 1000)) * 1000) / 1000 }
          : { type: 'tokens', total_tokens: 10, input_tokens: 6, output_tokens: 4, input_token_details: { text_tokens: 0, audio_tokens: 6 } };
        this.send({ type: 'conversation.item.input_audio_transcription.completed', item_id: itemId, content_index: 0, transcript: text, usage });
      }
    }
    if (respond && !this.active) this.respond({ text: this.behaviour.reply({ transcript: text, turn }) });
  }

  private handleItemCreate(event: Record<string, any>): void {
    const item = event.item ?? {};
    if (item.type === 'function_call_output') {
      const known = [...this.items.values()].some((i) => i.callId === item.call_id);
      if (!known) return this.sendError('invalid_request_error', 'invalid_value', `Tool call ID '${item.call_id}' not found in conversation.`);
      if (typeof item.output === 'string') this.toolOutputs.push(item.output);
    }
    const id = item.id ?? this.nextId('item');
    this.items.set(id, { id, role: item.role === 'assistant' ? 'assistant' : 'user', type: item.type ?? 'message', audioBytes: 0, transcript: '' });
    const added = { ...item, id, status: 'completed' };
    this.send({ type: 'conversation.item.added', previous_item_id: event.previous_item_id ?? null, item: added });
    this.send({ type: 'conversation.item.done', previous_item_id: event.previous_item_id ?? null, item: added });
  }

  private handleTruncate(event: Record<string, any>): void {
    const item = this.items.get(event.item_id);
    if (!item || item.deleted) return this.sendError('invalid_request_error', 'item_not_found', `Item with item_id not found: ${event.item_id}`);
    if (item.role !== 'assistant' || item.type !== 'message') {
      return this.sendError('invalid_request_error', 'invalid_value', 'Only assistant messages can be truncated.');
    }
    if (!Number.isInteger(event.audio_end_ms) || event.audio_end_ms < 0) {
      return this.sendError('invalid_request_error', 'invalid_type', 'audio_end_ms must be a non-negative integer.');
    }
    const durationMs = Math.floor(item.audioBytes / MULAW_BYTES_PER_MS);
    if (event.audio_end_ms > durationMs) {
      return this.sendError('invalid_request_error', 'invalid_value', `Audio content of ${durationMs}ms is already shorter than ${event.audio_end_ms}ms`);
    }
    this.send({ type: 'conversation.item.truncated', item_id: item.id, content_index: 0, audio_end_ms: event.audio_end_ms });
  }

  private handleDelete(event: Record<string, any>): void {
    const item = this.items.get(event.item_id);
    if (!item || item.deleted) return this.sendError('invalid_request_error', 'item_not_found', `Item with item_id not found: ${event.item_id}`);
    item.deleted = true;
    this.send({ type: 'conversation.item.deleted', item_id: item.id });
  }

  private streamNextDelta(response: ActiveResponse): void {
    if (this.active !== response) return;
    const chunkBytes = this.behaviour.deltaMs * MULAW_BYTES_PER_MS;
    const stall = response.stall;
    if (stall !== undefined && response.offset >= stall.afterMs * MULAW_BYTES_PER_MS && response.offset < response.audio.length) {
      response.stall = undefined;
      response.timer = setTimeout(() => this.streamNextDelta(response), stall.forMs);
      return;
    }
    if (response.offset < response.audio.length) {
      const chunk = response.audio.subarray(response.offset, response.offset + chunkBytes);
      const textShare = Math.ceil((response.text.length * chunk.length) / response.audio.length);
      const textFrom = Math.floor((response.text.length * response.offset) / response.audio.length);
      response.offset += chunk.length;
      this.items.get(response.itemId)!.audioBytes += chunk.length;
      this.outputAudioByItem.get(response.itemId)!.push(chunk);
      this.send({ type: 'response.output_audio.delta', response_id: response.id, item_id: response.itemId, output_index: 0, content_index: 0, delta: chunk.toString('base64') });
      const textDelta = response.text.slice(textFrom, textFrom + textShare);
      if (textDelta) {
        this.send({ type: 'response.output_audio_transcript.delta', response_id: response.id, item_id: response.itemId, output_index: 0, content_index: 0, delta: textDelta });
      }
      response.timer = setTimeout(() => this.streamNextDelta(response), this.behaviour.deltaIntervalMs);
      return;
    }
    this.completeActive('completed');
  }

  private completeActive(status: 'completed' | 'cancelled', reason?: string): void {
    const response = this.active;
    if (!response) return;
    this.stopActive();
    const record = this.items.get(response.itemId)!;
    record.transcript = status === 'completed' ? response.text : response.text.slice(0, Math.floor((response.text.length * response.offset) / Math.max(1, response.audio.length)));
    const base = { response_id: response.id, item_id: response.itemId, output_index: 0, content_index: 0 };
    this.send({ type: 'response.output_audio.done', ...base });
    this.send({ type: 'response.output_audio_transcript.done', ...base, transcript: record.transcript });
    const item = { id: response.itemId, type: 'message', status: status === 'completed' ? 'completed' : 'incomplete', role: 'assistant', content: [{ type: 'output_audio', transcript: record.transcript }] };
    this.send({ type: 'response.content_part.done', ...base, part: { type: 'output_audio', transcript: record.transcript } });
    this.send({ type: 'response.output_item.done', response_id: response.id, output_index: 0, item });
    this.send({ type: 'conversation.item.done', previous_item_id: null, item });
    this.send({
      type: 'response.done',
      response: {
        object: 'realtime.response',
        id: response.id,
        status,
        status_details: status === 'cancelled' ? { type: 'cancelled', reason } : null,
        output: [item],
        usage: usageFor(response.offset, record.transcript),
      },
    });
    this.emit('response-finished', response.id);
  }

  private cancelActive(reason: 'turn_detected' | 'client_cancelled'): void {
    this.completeActive('cancelled', reason);
  }

  private stopActive(): void {
    if (this.active?.timer) clearTimeout(this.active.timer);
    this.active = undefined;
  }

  /** OpenAI sends `rate_limits.updated` at the start of every response, with the output tokens reserved. */
  private sendRateLimits(): void {
    this.requestsLeft = Math.max(0, this.requestsLeft - 1);
    this.tokensLeft = Math.max(0, this.tokensLeft - 4096);
    this.send({
      type: 'rate_limits.updated',
      rate_limits: [
        { name: 'requests', limit: 5000, remaining: this.requestsLeft, reset_seconds: 0.012 },
        { name: 'tokens', limit: 400_000, remaining: this.tokensLeft, reset_seconds: 0.6 },
      ],
    });
  }

  private turnDetection(): Record<string, any> | null {
    return this.config.audio?.input?.turn_detection ?? null;
  }

  private nextId(prefix: string): string {
    return `${prefix}_${this.id.slice(9)}_${++this.counter}`;
  }
}

function usageFor(audioBytes: number, text: string) {
  const audioTokens = Math.ceil(audioBytes / 400);
  const textTokens = Math.ceil(text.length / 4);
  return {
    total_tokens: 20 + audioTokens + textTokens,
    input_tokens: 20,
    output_tokens: audioTokens + textTokens,
    input_token_details: { text_tokens: 12, audio_tokens: 8, cached_tokens: 0, cached_tokens_details: { text_tokens: 0, audio_tokens: 0 } },
    output_token_details: { text_tokens: textTokens, audio_tokens: audioTokens },
  };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The value at a dotted path (`audio.input.transcription.model`), or undefined. */
function valueAt(value: unknown, path: string): unknown {
  let current = value;
  for (const key of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function deepMerge(target: Record<string, any>, source: Record<string, any>): Record<string, any> {
  const out: Record<string, any> = { ...target };
  for (const [key, value] of Object.entries(source)) {
    out[key] = value && typeof value === 'object' && !Array.isArray(value) && target[key] && typeof target[key] === 'object'
      ? deepMerge(target[key], value)
      : value;
  }
  return out;
}
