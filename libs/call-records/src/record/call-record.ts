import type { TwilioCallStatus } from '@app/telephony';

/** The stored record of one call (also the JSON served by the API and POSTed to the webhook). */
export interface CallRecord {
  callSid: string;
  streamSid?: string;
  direction: 'inbound' | 'outbound';
  from?: string;
  to?: string;
  /** Assistant profile the call ran with (chosen by the dialled number or the outbound request). */
  assistantProfile: string;
  /** The Realtime model the call ran with (the profile's, or the default); its prices give the cost. */
  model?: string;
  /** The caller-side transcription model asked for; absent: none. */
  transcriptionModel?: string;
  /** Optional parts of the session configuration OpenAI refused, which the call went without. */
  droppedSessionFeatures?: string[];
  /** `in-progress` for a checkpoint of a live call, `completed` once the call has ended. */
  status: 'in-progress' | 'completed';
  /** ISO-8601 UTC times. `startedAt`: the media stream started; `answeredAt`: Twilio's answer time when known. */
  startedAt: string;
  answeredAt?: string;
  endedAt?: string;
  /** Call length in ms: from the stream start to the end (Twilio's CallDuration × 1000 once reconciled). */
  durationMs?: number;
  endReason?: string;
  /** The OpenAI error behind an `openai-failed` end (or the last non-benign one seen). */
  endError?: { code: string; message?: string };
  transcript: TranscriptTurn[];
  toolCalls: ToolCallRecord[];
  usage: TokenUsage;
  cost: CostEstimate;
  /** Present when the redaction pass (TRANSCRIPT_REDACTION) ran over this record: the kinds of personal data it replaced. */
  redaction?: { applied: string[] };
  /** When the retention job blanked the transcript and tool-call arguments/results (ISO-8601). */
  transcriptPurgedAt?: string;
  /** The last transfer to a human: its mode, the destination's NAME (never a number), the outcome and (warm) the summary the human heard. */
  transfer?: { mode: 'blind' | 'warm'; destination: string; outcome: 'connected' | 'declined' | 'no-answer' | 'failed'; summary?: string };
  /** What Twilio's status callbacks said, when they came (answering machine and recording: see `answeredBy`, `recording`). */
  twilio?: TwilioCallStatus;
  /** The post-call analysis (POST_CALL_ANALYSIS), once it ran; `error` says why it could not. */
  analysis?: CallAnalysis;
  /** Twilio's answering-machine detection verdict (AnsweredBy), for outbound calls placed with it. */
  answeredBy?: string;
  /** Set when an answering machine (or fax) was recognised: by Twilio's detection, or by the model (its voicemail_detected tool). */
  machineDetectedBy?: 'twilio' | 'model';
  /** True when a voicemail message was left (the call reached a machine and the message was spoken or said). */
  voicemailLeft?: boolean;
  /** The call's dual-channel Twilio recording: from its start, then as Twilio's recording status callback reported it. */
  recording?: { sid: string; url: string; durationSeconds?: number; channels: number; status: string; deletedAt?: string };
  /** Increases with every snapshot of the call; a store never overwrites a newer revision. */
  revision: number;
}

/** What a text model made of the finished call: a summary, a success judgement and the profile's structured fields. */
export interface CallAnalysis {
  /** The text model that analysed the call. */
  model: string;
  summary: string;
  /** Whether the call achieved its purpose; null: the model could not tell (or the analysis failed). */
  success: boolean | null;
  /** The fields the assistant profile's JSON schema describes. */
  fields?: Record<string, unknown>;
  /** ISO-8601 UTC time the analysis was stored. */
  completedAt: string;
  /** Set when the analysis could not be made (then `summary` is empty and `success` null). */
  error?: string;
}

export interface TranscriptTurn {
  role: 'caller' | 'assistant';
  /** OpenAI conversation item id. */
  itemId: string;
  /** When the turn began: caller speech start, or the assistant's first audio. */
  at: string;
  /** What was said (for an interrupted assistant turn: what the caller heard). */
  text: string;
  /** Present when the caller barged in on this assistant turn. */
  interrupted?: { heardMs: number; sentMs: number; fullText: string };
  /** Present when OpenAI could not transcribe this caller turn (its `text` is then empty). */
  transcriptionFailed?: { code: string; message?: string };
}

export interface ToolCallRecord {
  name: string;
  arguments: unknown;
  result?: unknown;
  error?: string;
  startedAt: string;
  durationMs: number;
}

export interface TokenUsage {
  responses: number;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  inputTextTokens: number;
  inputAudioTokens: number;
  /** Cached input tokens (part of the input tokens), and how many of them were text and audio. */
  cachedInputTokens: number;
  cachedInputTextTokens: number;
  cachedInputAudioTokens: number;
  outputTextTokens: number;
  outputAudioTokens: number;
  /** Caller-side transcription: turns transcribed, seconds of audio (per-minute models) or tokens (token-priced models). */
  transcription: { turns: number; seconds: number; inputTextTokens: number; inputAudioTokens: number; outputTokens: number };
  /** The post-call analysis's text-model tokens, once it ran. */
  analysis?: { inputTokens: number; cachedInputTokens: number; outputTokens: number };
}

export interface CostEstimate {
  currency: 'USD';
  total: number;
  /** `cachedInput`: text and audio. `transcription`: the caller-side transcription. `analysis`: the post-call analysis, once it ran. */
  breakdown: { inputText: number; inputAudio: number; cachedInput: number; outputText: number; outputAudio: number; transcription: number; analysis?: number };
  /** Models the call used that have no prices (they count as 0 in `total`). */
  unpriced?: string[];
}

/** Folds Twilio's status callbacks into the record: Twilio's answer/end times and duration win. */
export function reconcileWithTwilio(record: CallRecord, twilio: TwilioCallStatus | undefined): CallRecord {
  if (!twilio || Object.keys(twilio).length === 0) return record;
  const { answeredBy, recording, ...status } = twilio;
  const merged: CallRecord = { ...record, ...(Object.keys(status).length > 0 ? { twilio: status } : {}) };
  // Twilio's own word wins: the recording callback over what the call knew when it started the recording.
  if (answeredBy) merged.answeredBy = answeredBy;
  if (recording?.sid) merged.recording = { ...recording, ...(record.recording?.deletedAt ? { deletedAt: record.recording.deletedAt } : {}) };
  if (twilio.answeredAt) merged.answeredAt = twilio.answeredAt;
  if (twilio.endedAt) merged.endedAt = twilio.endedAt;
  if (twilio.durationSec !== undefined) merged.durationMs = twilio.durationSec * 1000;
  return merged;
}
