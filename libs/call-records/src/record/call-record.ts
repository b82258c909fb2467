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
  /** The last transfer to a human: its mode, the destination's NAME (never a number), the outcome and (warm) the summary the human heard. */
  transfer?: { mode: 'blind' | 'warm'; destination: string; outcome: 'connected' | 'declined' | 'no-answer' | 'failed'; summary?: string };
  /** What Twilio's status callbacks said, when they came. */
  twilio?: TwilioCallStatus;
  /** Increases with every snapshot of the call; a store never overwrites a newer revision. */
  revision: number;
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
}

export interface CostEstimate {
  currency: 'USD';
  total: number;
  /** `cachedInput`: text and audio. `transcription`: the caller-side transcription. */
  breakdown: { inputText: number; inputAudio: number; cachedInput: number; outputText: number; outputAudio: number; transcription: number };
  /** Models the call used that have no prices (they count as 0 in `total`). */
  unpriced?: string[];
}

/** Folds Twilio's status callbacks into the record: Twilio's answer/end times and duration win. */
export function reconcileWithTwilio(record: CallRecord, twilio: TwilioCallStatus | undefined): CallRecord {
  if (!twilio || Object.keys(twilio).length === 0) return record;
  const merged: CallRecord = { ...record, twilio };
  if (twilio.answeredAt) merged.answeredAt = twilio.answeredAt;
  if (twilio.endedAt) merged.endedAt = twilio.endedAt;
  if (twilio.durationSec !== undefined) merged.durationMs = twilio.durationSec * 1000;
  return merged;
}
