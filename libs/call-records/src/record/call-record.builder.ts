import { BENIGN_OPENAI_ERROR_CODES, cutAtWord } from '@app/realtime';
import type { RealtimeTranscriptionUsage, RealtimeUsage } from '@app/realtime';
import type { CallTransferEvent, PlaybackCut, ToolCallEvent } from '@app/orchestration';
import type { CallRecord, ToolCallRecord, TranscriptTurn } from './call-record';
import type { TranscriptRedactor } from '../privacy/transcript-redactor';
import { emptyUsage, estimateCost } from './cost';
import type { CallPricing } from './cost';

export interface CallIdentity {
  callSid: string;
  streamSid?: string;
  customParameters: Record<string, string>;
  /** The assistant profile the call ran with. */
  profile: string;
  direction: 'inbound' | 'outbound';
  startedAt: number;
  /** The Realtime model of the call, and the transcription model asked for. */
  model?: string;
  transcriptionModel?: string;
}


interface AssistantTurn {
  turn: TranscriptTurn;
  fullText: string;
}

/**
 * Builds one call's record in memory from its events (cheap, synchronous, no I/O); `snapshot()`
 * returns a self-contained copy for the writer.
 *
 * An interrupted assistant turn is cut in proportion to the audio heard (`playedMs / sentMs` of its
 * transcript, rounded down to a whole word): OpenAI's transcript is not time-aligned to the audio,
 * so this is an estimate of what the caller heard; the full text is kept beside it.
 */
export class CallRecordBuilder {
  private readonly turns: TranscriptTurn[] = [];
  private readonly assistantTurns = new Map<string, AssistantTurn>();
  private readonly cuts = new Map<string, PlaybackCut>();
  private readonly toolCalls: ToolCallRecord[] = [];
  private readonly usage = emptyUsage();
  private readonly callerSpeechStarts: number[] = [];
  private assistantAudioStartedAt?: number;
  private endedAt?: number;
  private endReason?: string;
  private lastError?: { code: string; message?: string };
  private readonly droppedFeatures: string[] = [];
  private answeredBy?: string;
  private voicemailLeft?: boolean;
  private machineDetectedBy?: 'twilio' | 'model';
  private recording?: CallRecord['recording'];
  private revision = 0;
  private transfer?: CallRecord['transfer'];
  /** True when something changed since the last snapshot. */
  dirty = true;

  constructor(
    private readonly identity: CallIdentity,
    /** Prices of the call's own models (each call may run another model). */
    private readonly pricing: CallPricing,
    /** Applied to every turn's text and tool call as it comes in (TRANSCRIPT_REDACTION); absent: none. */
    private readonly redactor?: TranscriptRedactor,
  ) {}

  private redact(text: string): string {
    return this.redactor ? this.redactor.redact(text) : text;
  }

  get callSid(): string {
    return this.identity.callSid;
  }

  callerSpeechStarted(at: number): void {
    this.callerSpeechStarts.push(at);
  }

  callerTranscript(itemId: string, text: string, at: number, usage?: RealtimeTranscriptionUsage): void {
    const startedAt = this.callerSpeechStarts.shift() ?? at;
    if (usage) this.addTranscriptionUsage(usage);
    if (!text.trim()) return;
    this.turns.push({ role: 'caller', itemId, at: iso(startedAt), text: this.redact(text.trim()) });
    this.dirty = true;
  }

  /** The caller said something OpenAI could not transcribe: an empty turn, marked. */
  callerTranscriptionFailed(itemId: string, error: { code: string; message?: string }, at: number): void {
    const startedAt = this.callerSpeechStarts.shift() ?? at;
    this.turns.push({ role: 'caller', itemId, at: iso(startedAt), text: '', transcriptionFailed: { code: error.code, ...(error.message ? { message: error.message } : {}) } });
    this.dirty = true;
  }

  featureDropped(feature: string): void {
    if (this.droppedFeatures.includes(feature)) return;
    this.droppedFeatures.push(feature);
    this.dirty = true;
  }

  assistantAudioStarted(at: number): void {
    this.assistantAudioStartedAt = at;
  }

  assistantTranscript(itemId: string, text: string, at: number): void {
    const startedAt = this.assistantAudioStartedAt ?? at;
    this.assistantAudioStartedAt = undefined;
    if (!text.trim()) return;
    const clean = this.redact(text.trim());
    const entry: AssistantTurn = { turn: { role: 'assistant', itemId, at: iso(startedAt), text: clean }, fullText: clean };
    this.assistantTurns.set(itemId, entry);
    this.turns.push(entry.turn);
    const cut = this.cuts.get(itemId);
    if (cut) this.applyCut(entry, cut);
    this.dirty = true;
  }

  /** The cut may come before or after the item's transcript; it is applied whichever is second. */
  bargeIn(cuts: PlaybackCut[]): void {
    for (const cut of cuts) {
      this.cuts.set(cut.itemId, cut);
      const entry = this.assistantTurns.get(cut.itemId);
      if (entry) this.applyCut(entry, cut);
    }
    this.dirty = true;
  }

  responseDone(usage: RealtimeUsage | undefined): void {
    if (!usage) return;
    const u = this.usage;
    u.responses++;
    u.inputTokens += usage.input_tokens ?? 0;
    u.outputTokens += usage.output_tokens ?? 0;
    u.totalTokens += usage.total_tokens ?? 0;
    u.inputTextTokens += usage.input_token_details?.text_tokens ?? 0;
    u.inputAudioTokens += usage.input_token_details?.audio_tokens ?? 0;
    const cached = cachedSplit(usage);
    u.cachedInputTokens += cached.text + cached.audio;
    u.cachedInputTextTokens += cached.text;
    u.cachedInputAudioTokens += cached.audio;
    u.outputTextTokens += usage.output_token_details?.text_tokens ?? 0;
    u.outputAudioTokens += usage.output_token_details?.audio_tokens ?? 0;
    this.dirty = true;
  }

  /** The record's `transfer` (the summary redacted like the transcript it was made from). */
  get lastTransfer(): CallRecord['transfer'] {
    return this.transfer;
  }

  transferred(event: CallTransferEvent): void {
    this.transfer = { mode: event.mode, destination: event.destination, outcome: event.outcome, ...(event.summary ? { summary: this.redact(event.summary) } : {}) };
    this.dirty = true;
  }

  toolCalled(event: ToolCallEvent): void {
    this.toolCalls.push({
      name: event.name,
      arguments: this.redactor ? this.redactor.redactValue(parseArguments(event.arguments)) : parseArguments(event.arguments),
      ...(event.result !== undefined ? { result: this.redactor ? this.redactor.redactValue(event.result) : event.result } : {}),
      // An error's text may quote what the caller said (an integrator's ToolError message): redacted like the arguments.
      ...(event.error !== undefined ? { error: this.redact(event.error) } : {}),
      startedAt: iso(event.startedAt),
      durationMs: event.durationMs,
    });
    this.dirty = true;
  }

  /** Who and what the call is, as the record has it (for call.started; no snapshot is taken). */
  identityFields(): Pick<CallRecord, 'callSid' | 'streamSid' | 'direction' | 'from' | 'to' | 'assistantProfile' | 'model' | 'startedAt'> {
    const { identity } = this;
    const params = identity.customParameters;
    return {
      callSid: identity.callSid,
      ...(identity.streamSid ? { streamSid: identity.streamSid } : {}),
      direction: identity.direction,
      ...(params.From ? { from: params.From } : {}),
      ...(params.To ? { to: params.To } : {}),
      assistantProfile: identity.profile,
      ...(identity.model ? { model: identity.model } : {}),
      startedAt: iso(identity.startedAt),
    };
  }

  /** The tool call recorded last, as the record holds it. */
  lastToolCall(): ToolCallRecord | undefined {
    return this.toolCalls.at(-1);
  }

  openAiError(code: string, message: string | undefined): void {
    if (BENIGN_OPENAI_ERROR_CODES.has(code)) return;
    this.lastError = { code, ...(message ? { message } : {}) };
  }

  /** What the answering-machine detection decided, and whether a voicemail message was left. */
  voicemail(result: { answeredBy?: string; detectedBy?: 'twilio' | 'model'; voicemailLeft: boolean }): void {
    if (result.answeredBy) this.answeredBy = result.answeredBy;
    if (result.detectedBy) this.machineDetectedBy = result.detectedBy;
    this.voicemailLeft = result.voicemailLeft;
    this.dirty = true;
  }

  /** The call's recording was started at Twilio. */
  recordingStarted(recording: NonNullable<CallRecord['recording']>): void {
    this.recording = { ...recording };
    this.dirty = true;
  }

  ended(reason: string, at: number): void {
    this.endReason = reason;
    this.endedAt = at;
    this.dirty = true;
  }

  snapshot(): CallRecord {
    this.dirty = false;
    const { identity } = this;
    const ended = this.endedAt !== undefined;
    const transcript = [...this.turns].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0)).map((turn) => ({
      ...turn,
      ...(turn.interrupted ? { interrupted: { ...turn.interrupted } } : {}),
      ...(turn.transcriptionFailed ? { transcriptionFailed: { ...turn.transcriptionFailed } } : {}),
    }));
    const usage = { ...this.usage, transcription: { ...this.usage.transcription } };
    return {
      ...this.identityFields(),
      ...(identity.transcriptionModel ? { transcriptionModel: identity.transcriptionModel } : {}),
      ...(this.droppedFeatures.length > 0 ? { droppedSessionFeatures: [...this.droppedFeatures] } : {}),
      status: ended ? 'completed' : 'in-progress',
      ...(ended ? { endedAt: iso(this.endedAt!), durationMs: this.endedAt! - identity.startedAt, endReason: this.endReason } : {}),
      ...(ended && this.lastError && this.endReason?.startsWith('openai') ? { endError: { ...this.lastError } } : {}),
      transcript,
      toolCalls: this.toolCalls.map((call) => ({ ...call })),
      ...(this.transfer ? { transfer: { ...this.transfer } } : {}),
      usage,
      cost: estimateCost(usage, this.pricing),
      ...(this.redactor?.enabled ? { redaction: { applied: this.redactor.applied } } : {}),
      ...(this.answeredBy ? { answeredBy: this.answeredBy } : {}),
      ...(this.machineDetectedBy ? { machineDetectedBy: this.machineDetectedBy } : {}),
      ...(this.voicemailLeft !== undefined ? { voicemailLeft: this.voicemailLeft } : {}),
      ...(this.recording ? { recording: { ...this.recording } } : {}),
      revision: ++this.revision,
    };
  }

  private addTranscriptionUsage(usage: RealtimeTranscriptionUsage): void {
    const t = this.usage.transcription;
    t.turns++;
    if (usage.type === 'duration') {
      t.seconds += usage.seconds ?? 0;
    } else {
      // A transcription's input is audio unless OpenAI says otherwise (e.g. a prompt).
      const text = usage.input_token_details?.text_tokens ?? 0;
      t.inputTextTokens += text;
      t.inputAudioTokens += usage.input_token_details?.audio_tokens ?? Math.max(0, (usage.input_tokens ?? 0) - text);
      t.outputTokens += usage.output_tokens ?? 0;
    }
    this.dirty = true;
  }

  private applyCut(entry: AssistantTurn, cut: PlaybackCut): void {
    const fraction = cut.sentMs > 0 ? Math.min(1, cut.playedMs / cut.sentMs) : 0;
    entry.turn.text = cutAtWord(entry.fullText, fraction);
    entry.turn.interrupted = { heardMs: cut.playedMs, sentMs: cut.sentMs, fullText: entry.fullText };
  }
}

/**
 * How many cached input tokens were text and audio: OpenAI's `cached_tokens_details` when given,
 * else the cached tokens split in proportion to the text and audio input.
 */
function cachedSplit(usage: RealtimeUsage): { text: number; audio: number } {
  const details = usage.input_token_details;
  const cached = details?.cached_tokens ?? 0;
  const split = details?.cached_tokens_details;
  if (split && (split.text_tokens !== undefined || split.audio_tokens !== undefined)) {
    return { text: split.text_tokens ?? 0, audio: split.audio_tokens ?? 0 };
  }
  const text = details?.text_tokens ?? 0;
  const audio = details?.audio_tokens ?? 0;
  const input = text + audio;
  if (cached <= 0 || input <= 0) return { text: 0, audio: 0 };
  const bounded = Math.min(cached, input);
  const cachedText = Math.round((bounded * text) / input);
  return { text: cachedText, audio: bounded - cachedText };
}

function parseArguments(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function iso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}
