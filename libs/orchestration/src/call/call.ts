import type { Logger } from 'pino';
import type { MediaStreamListener, MediaStreamStart, MediaStreamViolation, TwilioMediaStream } from '@app/telephony';
import { BENIGN_OPENAI_ERROR_CODES, turnInstructions } from '@app/realtime';
import type {
  OptionalSessionFeature,
  RealtimeClientEvent,
  RealtimeCloseInfo,
  RealtimeConversation,
  RealtimeServerEvent,
  RealtimeSessionConfig,
  RealtimeSessionFallbacks,
  RealtimeSessionListener,
  RealtimeUsage,
} from '@app/realtime';
import type { CallEvents, CallTransferEvent, ToolCallEvent, VoicemailEvent } from '../events/call-events';
import { CallerAudioGaps, MULAW_SILENCE_100_MS, MULAW_SILENCE_20_MS } from './caller-audio-gaps';
import type { Tickable } from './call-ticker';
import { HoldAudio } from './hold-audio';
import { CallerAudioPacer } from './caller-audio-pacer';
import { ObservedCall, ReadOnlyCall } from './observed-call';
import { PlaybackClock } from './playback-clock';

export type CallState = 'connecting' | 'active' | 'ended';
export type CallEndReason =
  | 'caller-hung-up'
  | 'stream-closed'
  | 'openai-closed'
  | 'openai-failed'
  | 'server-shutdown'
  | 'assistant-hung-up'
  | 'max-duration'
  | 'caller-idle'
  | 'transferred'
  | 'stream-stalled'
  | 'voicemail-left'
  | 'answering-machine';

/** Media counters: plain numbers, nothing per frame but an add. */
export interface CallTraffic {
  framesFromCaller: number;
  bytesFromCaller: number;
  framesToCaller: number;
  bytesToCaller: number;
  /** µ-law silence appended to the model where the caller's media stopped or skipped (ms). */
  silenceFilledMs: number;
  /** Caller audio not sent to OpenAI because it came faster than the pacing allows. */
  bytesDroppedFromCaller: number;
}

/** Per-call settings, fixed when the call starts. */
export interface CallSettings {
  /** The assistant profile the call runs with. */
  profile?: string;
  direction?: 'inbound' | 'outbound';
  session: RealtimeSessionConfig;
  /** What replaces an optional part of `session` OpenAI refuses (server VAD for semantic VAD). */
  sessionFallbacks?: RealtimeSessionFallbacks;
  /** Instructions for the assistant's first turn; empty: the caller speaks first. */
  greeting: string;
  /** Runs tool calls, keypad input and call control; absent: the assistant only talks. */
  agent?: CallAgentListener;
  /** Voicemail detection and drop (outbound calls that ask for it); absent: none. */
  voicemail?: CallVoicemail;
}

/** What the Call asks of its voicemail detection (implemented by VoicemailDrop in ../agent). */
export interface CallVoicemail {
  /** Takes the greeting to send once a person answered (or a short wait passed); false: send it now. */
  holdGreeting(greet: () => void): boolean;
  /** Whether a response just created must be cancelled unheard (`requested`: the gateway asked for it). */
  silences(requested: boolean): boolean;
  /** A response of the assistant started: a held greeting is not needed any more. */
  onAssistantResponse(): void;
  onAnsweredBy(answeredBy: string): void;
  /** What detection found, for the call's observers; undefined when it did not run. */
  result(endReason: CallEndReason): VoicemailEvent | undefined;
  dispose(): void;
}

/** What the Call tells its agent about (tool calls, keypad presses, turns); implemented by CallAgent in ../agent. */
export interface CallAgentListener {
  onFunctionCall(call: { callId: string; name: string; arguments: string; responseId: string }): void;
  onDtmf(digit: string): void;
  onResponseDone(responseId: string): void;
  onMarkPlayed(): void;
  onCallerSpeechStarted(): void;
  dispose(): void;
}

/**
 * Settings still being chosen (the assistant lookup): the OpenAI socket opens at once with `model`,
 * and the session is configured when `pending` settles (it never rejects, and settles within the
 * lookup's timeout).
 */
export interface PendingCallSettings {
  model?: string;
  pending: Promise<CallSettings>;
}

export interface CallDependencies {
  stream: TwilioMediaStream;
  /** Chooses the call's settings (assistant profile, tools) once `start` says who called whom: now, or pending. */
  resolveSettings: (start: MediaStreamStart, call: Call) => CallSettings | PendingCallSettings;
  /** Opens the OpenAI side for this call. */
  openSession: (listener: RealtimeSessionListener, logger: Logger) => RealtimeConversation;
  /** The connection's logger; the call derives a child carrying callSid and streamSid. */
  logger: Logger;
  events: Pick<CallEvents, 'emit'>;
  onEnded: (call: Call) => void;
  /** The one timer shared by all calls (see CallTicker); absent: the caller's media is not watched for stops. */
  ticker?: { add(call: Tickable): void; remove(call: Tickable): void };
  /** Caller audio reaches OpenAI at most this many times faster than real time (default 1.2). */
  callerAudioMaxRate?: number;
  /** The public base URL Twilio reached the stream at (for the callback URLs of a warm transfer). */
  callbackBaseUrl?: string;
  /** Milliseconds; also the playback clock's time source (default: Date.now for timestamps, performance.now for playback). */
  now?: () => number;
}

const MAX_REMEMBERED_DISCARDS = 8;
/** After the stream ended during a Twilio request (see awaitTwilio): how long its answer may take before the call ends anyway. */
export const TWILIO_ANSWER_GRACE_MS = 15_000;
/** Turns of the conversation kept for a warm transfer's fallback summary, and characters of each. */
const RECENT_TURNS = 6;
const RECENT_TURN_CHARS = 300;
/** Marks the gateway's own out-of-band text responses (`metadata` of their `response.create`). */
const SIDE_TEXT_METADATA_KEY = 'gateway_side_text';

/** One turn of the conversation as transcribed (kept in memory for a warm transfer's summary; never logged). */
export interface RecentTurn {
  role: 'caller' | 'assistant';
  text: string;
}

interface SideText {
  text: string;
  timer: NodeJS.Timeout;
  resolve: (text: string | undefined) => void;
}
/**
 * With server VAD interrupting responses itself, how long after `speech_started` a response may
 * still run before the call cancels it (the server had its chance; checked on the shared 100 ms
 * tick). OpenAI cancels in the same breath as it reports the speech, so this only catches a
 * response it did not cancel.
 */
export const CANCEL_GRACE_MS = 500;

/**
 * One phone call: bridges a Twilio media stream to an OpenAI Realtime session, tracks what the
 * caller has heard, and handles barge-in. A plain object made per call by CallFactory; it never
 * throws from a socket callback.
 */
export class Call implements MediaStreamListener, RealtimeSessionListener, Tickable {
  state: CallState = 'connecting';
  callSid?: string;
  streamSid?: string;
  customParameters: Record<string, string> = {};
  traceParent?: string;
  endReason?: CallEndReason;
  /** Media counters, read by metrics on scrape. */
  readonly traffic: CallTraffic = { framesFromCaller: 0, bytesFromCaller: 0, framesToCaller: 0, bytesToCaller: 0, silenceFilledMs: 0, bytesDroppedFromCaller: 0 };
  /** Who opened the stream: a Twilio call, or the console's softphone (which has no Twilio call to act on). */
  origin: 'twilio' | 'softphone' = 'twilio';
  /** For an outbound call, the id of the API key that placed it. */
  placedBy?: string;
  readonly connectedAt: number;
  /** What observers get: this call, read-only (the same object for every event of the call). */
  readonly observed: ObservedCall = new ReadOnlyCall(this);
  startedAt?: number;
  endedAt?: number;

  private logger: Logger;
  private settings?: CallSettings;
  /** Set while Twilio is being asked to take the call off the stream (see awaitTwilio). */
  private twilioRequest?: { streamEndedAs?: CallEndReason; timer?: NodeJS.Timeout };
  /** An answering-machine verdict that arrived while the settings were still pending. */
  private answeredByBeforeSettings?: string;
  /** The model the OpenAI socket opened with while the settings were still pending. */
  private pendingModel?: string;
  /** True once observers got callStarted (when the settings are known). */
  private startAnnounced = false;
  private session?: RealtimeConversation;
  /** What the caller has heard of the assistant's audio, at any instant. */
  private readonly playback: PlaybackClock;
  /** Silence for the model where the caller's media stopped or skipped. */
  private readonly callerGaps = new CallerAudioGaps();
  private activeResponseId?: string;
  /** The assistant item whose audio is going out and has not been marked done. */
  private unfinishedItemId?: string;
  /** The turn detection interrupts responses itself: the call cancels only what it left running. */
  private serverInterrupts = false;
  /** An interrupted response to cancel if it is still running by then (checked on the shared tick). */
  private cancelUnlessDone?: { responseId: string; at: number };
  /** Responses interrupted by the caller: their late audio is dropped. */
  private readonly discardedResponses = new Set<string>();
  private readonly reportedViolations = new Set<MediaStreamViolation>();
  private readonly now: () => number;
  private readonly pacer: CallerAudioPacer;
  /** When server VAD last heard the caller stop speaking (for response latency). */
  private callerStoppedAt?: number;
  /** The response whose first audio has already been reported. */
  private audioStartedResponseId?: string;
  /** Responses cancelled unheard because an answering machine was talking: their items are forgotten. */
  private readonly silencedResponses = new Set<string>();
  /** Responses the gateway asked for and OpenAI has not created yet (the others come from turn detection). */
  private requestedResponses = 0;
  /** Hold audio playing while a warm transfer reaches a human: caller audio is then not forwarded to the model. */
  private hold?: HoldAudio;
  /** Out-of-band text responses asked for (by request id), and those OpenAI has started (by response id). */
  private readonly sideTextRequests = new Map<string, SideText>();
  /** (A late one, whose request timed out, maps to undefined: it is still kept out of the conversation's bookkeeping.) */
  private readonly sideTextResponses = new Map<string, SideText | undefined>();
  private sideTextCounter = 0;
  private readonly recent: RecentTurn[] = [];

  constructor(private readonly deps: CallDependencies) {
    this.logger = deps.logger;
    this.now = deps.now ?? Date.now;
    this.playback = new PlaybackClock({ now: deps.now });
    this.connectedAt = this.now();
    this.pacer = new CallerAudioPacer(deps.callerAudioMaxRate ?? 1.2, this.now);
    deps.stream.setListener(this);
  }

  get from(): string | undefined {
    return this.customParameters.From;
  }

  get callbackBaseUrl(): string | undefined {
    return this.deps.callbackBaseUrl;
  }

  get to(): string | undefined {
    return this.customParameters.To;
  }

  /** The assistant profile chosen at `start`. */
  get profile(): string {
    return this.settings?.profile ?? 'default';
  }

  get direction(): 'inbound' | 'outbound' {
    return this.settings?.direction ?? 'inbound';
  }

  /** The Realtime model the call runs (chosen with the profile at `start`). */
  get model(): string | undefined {
    return this.settings?.session.model ?? this.pendingModel;
  }

  /** The caller-side transcription model asked for; undefined: none. */
  get transcriptionModel(): string | undefined {
    return this.settings?.session.audio?.input?.transcription?.model;
  }

  /**
   * True while assistant audio sent to Twilio has not been heard yet: the playback clock says some
   * is still queued, or a mark after it has not come back. The echo is the proof: hang-up and
   * transfer wait for it, so the last words are heard.
   */
  get assistantSpeaking(): boolean {
    return this.playback.playing || this.playback.awaitingEcho;
  }

  /** True between a response's `response.created` and its `response.done`. */
  get responseActive(): boolean {
    return this.activeResponseId !== undefined;
  }

  /** The call's logger (carries callSid and streamSid once started). */
  get log(): Logger {
    return this.logger;
  }

  /** True when audio of this response has been sent to the caller. */
  responseHadAudio(responseId: string): boolean {
    return this.audioStartedResponseId === responseId;
  }

  /** Sends a client event to the model (tool outputs, keypad input); dropped once the call ended. */
  sendToModel(event: RealtimeClientEvent): void {
    if (this.state === 'active') this.session?.send(event);
  }

  /**
   * Asks the model for a response; `turn` instructions (a greeting, a goodbye) come after the
   * session's own, which per-response instructions would otherwise replace for that response.
   */
  requestResponse(turn?: string): void {
    if (this.state === 'active') this.requestedResponses++;
    if (!turn) return this.sendToModel({ type: 'response.create' });
    this.sendToModel({ type: 'response.create', response: { instructions: turnInstructions(this.settings?.session.instructions, turn) } });
  }

  reportToolCall(toolCall: ToolCallEvent): void {
    this.deps.events.emit('toolCalled', this.observed, toolCall);
  }

  reportTransfer(transfer: CallTransferEvent): void {
    this.deps.events.emit('callTransferred', this.observed, transfer);
  }

  /** True while the caller is on hold (a warm transfer is reaching a human). */
  get onHold(): boolean {
    return this.hold !== undefined;
  }

  /**
   * Puts the caller on hold: hold audio plays into the stream and the caller's audio (and keypad)
   * no longer reaches the model, so the assistant cannot answer meanwhile; the session stays open.
   */
  startHold(): void {
    if (this.hold || this.state !== 'active') return;
    const stream = this.deps.stream;
    this.hold = new HoldAudio((audio) => stream.sendAudio(audio), this.now);
    this.hold.start();
  }

  /** Ends the hold: what is left of the hold audio is cleared, and the caller is heard by the model again. */
  stopHold(): void {
    if (!this.hold) return;
    this.hold = undefined;
    if (this.state === 'active') this.deps.stream.sendClear();
  }

  /** The last few transcribed turns (for a summary when the model cannot give one in time). */
  recentTurns(): readonly RecentTurn[] {
    return this.recent;
  }

  /**
   * An out-of-band text response (`conversation: "none"`): the model answers `instructions` in text
   * over the conversation so far, which it does not change; nothing is spoken. Resolves with the
   * text, or undefined when it does not come within `timeoutMs` (or the call ends).
   */
  requestSideText(instructions: string, timeoutMs: number): Promise<string | undefined> {
    if (this.state !== 'active' || !this.session) return Promise.resolve(undefined);
    const requestId = `side-${++this.sideTextCounter}`;
    return new Promise((resolve) => {
      const entry: SideText = {
        text: '',
        resolve,
        timer: setTimeout(() => this.finishSideText(requestId, undefined), timeoutMs),
      };
      this.sideTextRequests.set(requestId, entry);
      this.sendToModel({
        type: 'response.create',
        response: { conversation: 'none', output_modalities: ['text'], tool_choice: 'none', instructions, metadata: { [SIDE_TEXT_METADATA_KEY]: requestId } },
      });
    });
  }

  /** Ends the call from our side (e.g. shutdown): closes both sockets. */
  end(reason: CallEndReason, twilioCloseCode = 1000): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.endReason = reason;
    this.endedAt = this.now();
    this.deps.ticker?.remove(this);
    this.hold = undefined;
    clearTimeout(this.twilioRequest?.timer);
    this.twilioRequest = undefined;
    for (const requestId of [...this.sideTextRequests.keys()]) this.finishSideText(requestId, undefined);
    this.settings?.agent?.dispose();
    const voicemail = this.settings?.voicemail;
    voicemail?.dispose();
    this.session?.close();
    this.deps.stream.close(twilioCloseCode, reason);
    const durationMs = this.endedAt - (this.startedAt ?? this.connectedAt);
    this.logger.info({ reason, durationMs, ...this.traffic }, 'call ended');
    this.deps.onEnded(this);
    // Observers saw callStarted only for calls that sent `start`; keep the pair symmetric (a call
    // that ends while its settings are looked up is announced with the static ones).
    if (this.startedAt === undefined) return;
    this.announceStart();
    const detection = voicemail?.result(reason);
    if (detection) this.deps.events.emit('voicemailDetection', this.observed, detection);
    this.deps.events.emit('callEnded', this.observed, reason);
  }

  /** Twilio's answering-machine verdict for this call (routed here from whichever instance got the callback). */
  onAnsweredBy(answeredBy: string): void {
    if (this.state !== 'active') return;
    if (this.settings) this.settings.voicemail?.onAnsweredBy(answeredBy);
    else this.answeredByBeforeSettings = answeredBy;
  }

  /**
   * Stops the assistant at once, unheard (an answering machine answered): what is queued at Twilio
   * is cleared, the items cut at what was heard, and the response cancelled, as for a barge-in.
   */
  hush(): void {
    if (this.state === 'active') this.handleCallerSpeechStarted(false);
  }

  // ---- Twilio side ---------------------------------------------------------------------

  onStreamStart(start: MediaStreamStart): void {
    if (this.state !== 'connecting') return;
    this.state = 'active';
    this.startedAt = this.now();
    this.callSid = start.callSid;
    this.streamSid = start.streamSid;
    this.customParameters = start.customParameters;
    this.traceParent = start.traceParent;
    this.origin = start.origin;
    this.placedBy = start.context?.placedBy;
    this.logger = this.deps.logger.child({ callSid: start.callSid, streamSid: start.streamSid });
    this.logger.info({ from: start.customParameters.From, to: start.customParameters.To }, 'call started');
    const resolved = this.deps.resolveSettings(start, this);
    this.deps.ticker?.add(this);
    if ('pending' in resolved) {
      // The OpenAI socket opens while the settings are looked up; session.update goes out when they come.
      this.pendingModel = resolved.model;
      this.session = this.deps.openSession(this, this.logger);
      this.session.connect();
      resolved.pending
        .then((settings) => this.applySettings(settings))
        .catch((error: unknown) => {
          this.logger.error({ err: error }, 'could not choose or apply the call settings; ending the call');
          this.end('openai-failed', 1011);
        });
      return;
    }
    this.useSettings(resolved);
    this.session = this.deps.openSession(this, this.logger);
    this.session.configure(resolved.session, resolved.sessionFallbacks);
    this.session.connect();
  }

  /** The looked-up settings arrived: configure the open session (reopened if they run another model). */
  private applySettings(settings: CallSettings): void {
    if (this.state !== 'active' || this.session === undefined) {
      settings.agent?.dispose();
      settings.voicemail?.dispose();
      return;
    }
    this.useSettings(settings);
    if (settings.session.model !== this.pendingModel) {
      // The socket was opened for the static profile's model: this profile runs another one.
      const stale = this.session;
      this.session = this.deps.openSession(this, this.logger);
      stale.close();
      this.session.configure(settings.session, settings.sessionFallbacks);
      this.session.connect();
      return;
    }
    this.session.configure(settings.session, settings.sessionFallbacks);
  }

  private useSettings(settings: CallSettings): void {
    this.settings = settings;
    const turnDetection = settings.session.audio?.input?.turn_detection;
    this.serverInterrupts = turnDetection != null && turnDetection.interrupt_response !== false;
    this.announceStart();
    // Twilio's verdict came while the assistant lookup was still under way.
    const answeredBy = this.answeredByBeforeSettings;
    this.answeredByBeforeSettings = undefined;
    if (answeredBy !== undefined) settings.voicemail?.onAnsweredBy(answeredBy);
  }

  private announceStart(): void {
    if (this.startAnnounced) return;
    this.startAnnounced = true;
    this.deps.events.emit('callStarted', this.observed);
  }

  onCallerAudio(base64Payload: string, timestampMs = Number.NaN): void {
    const bytes = base64DecodedLength(base64Payload);
    this.traffic.framesFromCaller++;
    this.traffic.bytesFromCaller += bytes;
    const session = this.session;
    if (session === undefined) return;
    // The gap tracker sees every frame, dropped or not, so a dropped frame never comes back as silence.
    const silenceMs = this.callerGaps.frame(timestampMs, bytes);
    // On hold the model hears nothing (and so cannot answer); the gap tracker keeps counting.
    if (this.hold !== undefined) return;
    if (!this.pacer.admit(bytes)) {
      this.traffic.bytesDroppedFromCaller += bytes;
      return;
    }
    if (silenceMs > 0) {
      // Filled silence is billed audio too: it spends the pace, so timestamp jumps cannot outrun it.
      this.pacer.spendMs(silenceMs);
      this.appendSilence(session, silenceMs);
    }
    session.appendAudio(base64Payload);
  }

  /**
   * The shared ticker (every 100 ms): when the caller's media has stopped, the model hears silence
   * in real time; an interrupted response the server left running is cancelled.
   */
  onTick(): void {
    const session = this.session;
    if (this.state !== 'active' || session === undefined) return;
    if (this.hold !== undefined) return this.hold.tick();
    const pending = this.cancelUnlessDone;
    if (pending !== undefined && this.now() >= pending.at) {
      this.cancelUnlessDone = undefined;
      if (this.activeResponseId === pending.responseId) session.send({ type: 'response.cancel', response_id: pending.responseId });
    }
    if (!session.isReady) return;
    const silenceMs = this.callerGaps.tick(this.traffic.framesFromCaller);
    if (silenceMs > 0) this.appendSilence(session, silenceMs);
  }

  onMarkPlayed(name: string): void {
    this.playback.markPlayed(name);
    this.settings?.agent?.onMarkPlayed();
  }

  onDtmf(digit: string): void {
    this.logger.debug({ digit }, 'caller pressed a key');
    this.deps.events.emit('dtmf', this.observed, digit);
    if (this.hold === undefined) this.settings?.agent?.onDtmf(digit);
  }

  onStreamStop(): void {
    this.endStream('caller-hung-up');
  }

  onStreamClosed(code: number): void {
    if (this.state === 'ended') return;
    this.logger.info({ code }, 'Twilio closed the media stream');
    this.endStream('stream-closed');
  }

  awaitTwilio(): () => CallEndReason | undefined {
    const request: { streamEndedAs?: CallEndReason; timer?: NodeJS.Timeout } = {};
    this.twilioRequest = request;
    return () => {
      if (this.twilioRequest === request) this.twilioRequest = undefined;
      clearTimeout(request.timer);
      return request.streamEndedAs;
    };
  }

  /**
   * The stream ended from Twilio's side. While Twilio is answering a request that takes the call
   * off the stream, only its answer tells a transfer from a hang-up: the call goes quiet and the
   * requester ends it (or the grace passes).
   */
  private endStream(reason: CallEndReason): void {
    const request = this.twilioRequest;
    if (!request || this.state === 'ended') return this.end(reason);
    if (request.streamEndedAs !== undefined) return;
    request.streamEndedAs = reason;
    this.deps.ticker?.remove(this);
    this.hold = undefined;
    request.timer = setTimeout(() => this.end(reason), TWILIO_ANSWER_GRACE_MS);
    request.timer.unref();
  }

  onStreamStalled(bufferedBytes: number): void {
    if (this.state === 'ended') return;
    this.logger.warn({ bufferedBytes }, 'Twilio stopped reading the media stream; ending the call');
    this.end('stream-stalled', 1011);
  }

  onViolation(kind: MediaStreamViolation, detail: string): void {
    if (this.reportedViolations.has(kind)) return;
    this.reportedViolations.add(kind);
    this.logger.warn({ violation: kind }, `dropped bad media-stream input: ${detail}`);
  }

  // ---- OpenAI side ---------------------------------------------------------------------

  onSessionOpened(): void {
    if (this.state !== 'active') return;
    this.deps.events.emit('openAiConnected', this.observed, this.now() - (this.startedAt ?? this.connectedAt));
  }

  onSessionReady(): void {
    if (this.state !== 'active') return;
    const setupMs = this.now() - (this.startedAt ?? this.connectedAt);
    this.logger.info({ setupMs }, 'OpenAI session ready');
    this.deps.events.emit('sessionReady', this.observed, setupMs);
    const greeting = this.settings?.greeting;
    if (greeting && !this.settings?.voicemail?.holdGreeting(() => this.requestResponse(greeting))) this.requestResponse(greeting);
  }

  onServerEvent(event: RealtimeServerEvent): void {
    switch (event.type) {
      case 'response.output_audio.delta':
        return this.forwardAssistantAudio(event.response_id, event.item_id, event.delta);
      case 'input_audio_buffer.speech_started':
        this.deps.events.emit('callerSpeechStarted', this.observed);
        this.settings?.agent?.onCallerSpeechStarted();
        return this.handleCallerSpeechStarted();
      case 'input_audio_buffer.speech_stopped':
        this.callerStoppedAt = this.now();
        this.deps.events.emit('callerSpeechStopped', this.observed);
        return;
      case 'response.created': {
        const sideText = event.response.metadata?.[SIDE_TEXT_METADATA_KEY];
        if (sideText !== undefined) return this.sideTextStarted(sideText, event.response.id);
        this.activeResponseId = event.response.id;
        const requested = this.requestedResponses > 0;
        if (requested) this.requestedResponses--;
        const voicemail = this.settings?.voicemail;
        const responseId = event.response.id;
        if (responseId && voicemail?.silences(requested)) {
          // An answering machine is talking: nothing of this response may reach it.
          this.discardResponse(responseId);
          this.silencedResponses.add(responseId);
          // A cancelled response may never send a transcript: remember only the last few.
          if (this.silencedResponses.size > MAX_REMEMBERED_DISCARDS) this.silencedResponses.delete(this.silencedResponses.values().next().value!);
          this.session?.send({ type: 'response.cancel', response_id: responseId });
        } else {
          voicemail?.onAssistantResponse();
        }
        return;
      }
      case 'response.output_text.delta': {
        const sideText = this.sideTextResponses.get(event.response_id);
        if (sideText) sideText.text += event.delta;
        return;
      }
      case 'response.output_audio.done':
        if (!this.discardedResponses.has(event.response_id)) this.finishAudio(event.item_id);
        return;
      case 'response.done': {
        const { id = '', status = 'completed', usage } = event.response;
        if (this.sideTextResponses.has(id)) return this.sideTextDone(id, status, usage ?? undefined, outputText(event.response.output));
        if (this.activeResponseId === id) this.activeResponseId = undefined;
        // A response that ends without its audio's done event still gets its end mark.
        if (this.unfinishedItemId !== undefined && this.audioStartedResponseId === id && !this.discardedResponses.has(id)) {
          this.finishAudio(this.unfinishedItemId);
        }
        this.deps.events.emit('responseDone', this.observed, id, status, usage ?? undefined);
        this.settings?.agent?.onResponseDone(id);
        return;
      }
      case 'response.function_call_arguments.done':
        // An out-of-band response's calls are not the conversation's (its tool_choice is none anyway).
        if (this.sideTextResponses.has(event.response_id)) return;
        this.settings?.agent?.onFunctionCall({ callId: event.call_id, name: event.name, arguments: event.arguments, responseId: event.response_id });
        return;
      case 'conversation.item.input_audio_transcription.completed':
        this.logger.debug({ transcript: event.transcript }, 'caller said');
        this.remember('caller', event.transcript);
        this.deps.events.emit('callerTranscript', this.observed, event.item_id, event.transcript, event.usage);
        return;
      case 'conversation.item.input_audio_transcription.failed': {
        // null in practice, though typed as optional strings.
        const error = { code: event.error?.code ?? 'unknown', message: event.error?.message ?? undefined };
        this.logger.warn({ itemId: event.item_id, ...error }, "OpenAI could not transcribe the caller's turn; the record marks it");
        this.deps.events.emit('callerTranscriptionFailed', this.observed, event.item_id, error);
        return;
      }
      case 'rate_limits.updated':
        this.deps.events.emit('rateLimitsUpdated', this.observed, event.rate_limits ?? []);
        return;
      case 'response.output_audio_transcript.done':
        if (this.silencedResponses.delete(event.response_id)) {
          // Never heard: out of the conversation (the model did not say it to anyone) and out of the record.
          this.session?.send({ type: 'conversation.item.delete', item_id: event.item_id });
          return;
        }
        this.logger.debug({ transcript: event.transcript }, 'assistant said');
        this.remember('assistant', event.transcript);
        this.deps.events.emit('assistantTranscript', this.observed, event.item_id, event.transcript);
        return;
      case 'error':
        return this.handleOpenAiError(event.error);
      default:
        return;
    }
  }

  /** The session runs without a part OpenAI refused (logged loudly by the session). */
  onSessionDegraded(feature: OptionalSessionFeature): void {
    this.deps.events.emit('openAiFeatureDropped', this.observed, feature);
  }

  onSessionReconnecting(attempt: number): void {
    const responseId = this.activeResponseId;
    if (responseId !== undefined) {
      // The lost session's response never sends response.done: drop its stragglers and let the
      // agent stop waiting for it (tool results, keypad input, end/transfer).
      this.discardResponse(responseId);
      this.activeResponseId = undefined;
      this.settings?.agent?.onResponseDone(responseId);
    }
    // What the lost session sent keeps playing: its end mark tells when it has been heard.
    if (this.unfinishedItemId !== undefined) this.finishAudio(this.unfinishedItemId);
    this.deps.events.emit('openAiReconnect', this.observed, attempt);
  }

  onSessionClosed(info: RealtimeCloseInfo): void {
    if (this.state === 'ended' || info.initiatedLocally) return;
    const failed = info.error !== undefined || (info.code !== 1000 && info.code !== 1001);
    this.logger.warn({ code: info.code, reason: info.reason, error: info.error?.message }, 'OpenAI closed the session; ending the call');
    this.end(failed ? 'openai-failed' : 'openai-closed', failed ? 1011 : 1000);
  }

  // ---- behaviour -----------------------------------------------------------------------

  private remember(role: RecentTurn['role'], text: string): void {
    const trimmed = text.trim();
    if (!trimmed) return;
    this.recent.push({ role, text: trimmed.length > RECENT_TURN_CHARS ? trimmed.slice(0, RECENT_TURN_CHARS) + '…' : trimmed });
    if (this.recent.length > RECENT_TURNS) this.recent.shift();
  }

  private sideTextStarted(requestId: string, responseId: string | undefined): void {
    if (responseId) this.sideTextResponses.set(responseId, this.sideTextRequests.get(requestId));
  }

  /** An out-of-band response finished: its text (unless it failed) goes to whoever asked; its usage is billed like any response's. */
  private sideTextDone(responseId: string, status: string, usage: RealtimeUsage | undefined, output: string): void {
    const entry = this.sideTextResponses.get(responseId);
    this.sideTextResponses.delete(responseId);
    if (entry) {
      const text = (entry.text || output).trim();
      for (const [requestId, request] of this.sideTextRequests) {
        if (request === entry) this.finishSideText(requestId, status === 'completed' && text ? text : undefined);
      }
    }
    this.deps.events.emit('responseDone', this.observed, responseId, status, usage);
  }

  private finishSideText(requestId: string, text: string | undefined): void {
    const entry = this.sideTextRequests.get(requestId);
    if (!entry) return;
    this.sideTextRequests.delete(requestId);
    clearTimeout(entry.timer);
    entry.resolve(text);
  }

  private forwardAssistantAudio(responseId: string, itemId: string, base64Audio: string): void {
    if (this.state !== 'active' || this.discardedResponses.has(responseId)) return;
    const stream = this.deps.stream;
    const bytes = base64DecodedLength(base64Audio);
    stream.sendAudio(base64Audio);
    // A mark only where the clock needs one (every few hundred ms of audio), not after every delta.
    const mark = this.playback.audioSent(itemId, bytes);
    if (mark !== undefined) stream.sendMark(mark);
    this.unfinishedItemId = itemId;
    this.traffic.framesToCaller++;
    this.traffic.bytesToCaller += bytes;
    if (this.audioStartedResponseId !== responseId) this.reportFirstAudio(responseId);
  }

  private reportFirstAudio(responseId: string): void {
    this.audioStartedResponseId = responseId;
    const latencyMs = this.callerStoppedAt === undefined ? undefined : this.now() - this.callerStoppedAt;
    this.callerStoppedAt = undefined;
    this.deps.events.emit('assistantAudioStarted', this.observed, responseId, latencyMs);
  }

  /** The item's audio is complete: the end mark (if one is owed) proves when its last words were heard. */
  private finishAudio(itemId: string): void {
    if (this.unfinishedItemId === itemId) this.unfinishedItemId = undefined;
    const mark = this.playback.finishItem(itemId);
    if (mark !== undefined && this.state === 'active') this.deps.stream.sendMark(mark);
  }

  /**
   * Barge-in: the caller started speaking. The playback clock says what was heard by now: clear
   * Twilio's buffer only if audio is left to play, truncate each item not fully heard at what was
   * heard (delete one of which nothing was), and drop whatever still arrives of the interrupted
   * response. The response is cancelled only if the server does not do it (see cancelIfLeftRunning).
   */
  private handleCallerSpeechStarted(reportBargeIn = true): void {
    const responseId = this.activeResponseId;
    if (responseId) this.discardResponse(responseId);
    const session = this.session;
    if (!session) return;
    const { clear, cuts } = this.playback.interrupt();
    this.unfinishedItemId = undefined;
    if (clear) this.deps.stream.sendClear();
    for (const cut of cuts) {
      if (cut.playedMs > 0) {
        session.send({ type: 'conversation.item.truncate', item_id: cut.itemId, content_index: 0, audio_end_ms: cut.playedMs });
      } else {
        session.send({ type: 'conversation.item.delete', item_id: cut.itemId });
      }
    }
    if (responseId) this.cancelIfLeftRunning(session, responseId);
    if (reportBargeIn && (clear || cuts.length > 0)) {
      this.logger.debug({ cleared: clear }, 'caller barged in');
      this.deps.events.emit('bargeIn', this.observed, cuts);
    }
  }

  /**
   * Server VAD with `interrupt_response` cancels the response itself when it reports the speech, so
   * a `response.cancel` from here would only earn `response_cancel_not_active`. Without it (or if
   * the response is still running CANCEL_GRACE_MS later, see onTick) the call cancels.
   */
  private cancelIfLeftRunning(session: RealtimeConversation, responseId: string): void {
    if (this.serverInterrupts) this.cancelUnlessDone = { responseId, at: this.now() + CANCEL_GRACE_MS };
    else session.send({ type: 'response.cancel', response_id: responseId });
  }

  /** Silence for the model, in 100 and 20 ms appends (precomputed; gaps are rare). */
  private appendSilence(session: RealtimeConversation, ms: number): void {
    this.traffic.silenceFilledMs += ms;
    for (; ms >= 100; ms -= 100) session.appendAudio(MULAW_SILENCE_100_MS);
    for (; ms >= 20; ms -= 20) session.appendAudio(MULAW_SILENCE_20_MS);
  }

  /** Remembers the last few interrupted responses so their stragglers are dropped. */
  private discardResponse(responseId: string): void {
    this.discardedResponses.add(responseId);
    if (this.discardedResponses.size > MAX_REMEMBERED_DISCARDS) {
      this.discardedResponses.delete(this.discardedResponses.values().next().value!);
    }
  }

  private handleOpenAiError(error: { code?: string | null; type?: string; message?: string }): void {
    const code = error?.code ?? error?.type ?? 'unknown';
    // A response.create refused because one is running never creates its response.
    if (code === 'conversation_already_has_active_response' && this.requestedResponses > 0) this.requestedResponses--;
    if (BENIGN_OPENAI_ERROR_CODES.has(code)) {
      this.logger.debug({ code }, 'OpenAI reported a benign race');
    } else {
      this.logger.warn({ code, message: error?.message }, 'OpenAI reported an error');
    }
    this.deps.events.emit('openAiError', this.observed, code, error?.message);
  }
}

/** The text of a response's output items (`output_text` parts), as `response.done` carries it. */
function outputText(output: ReadonlyArray<{ type?: string; content?: ReadonlyArray<{ type?: string; text?: string }> }> | undefined): string {
  let text = '';
  for (const item of output ?? []) for (const part of item.content ?? []) if (part.type === 'output_text' && part.text) text += part.text;
  return text;
}

function base64DecodedLength(base64: string): number {
  const length = base64.length;
  const padding = base64.charCodeAt(length - 1) === 61 ? (base64.charCodeAt(length - 2) === 61 ? 2 : 1) : 0;
  return (length * 3) / 4 - padding;
}
