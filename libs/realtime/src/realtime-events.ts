/**
 * The OpenAI Realtime (GA) protocol the gateway speaks, typed from OpenAI's own definitions: the
 * `openai` package's Realtime types, imported as types only (nothing of the package runs; the
 * gateway keeps its own raw WebSocket and fast paths). Beta-only names (`response.audio.delta`,
 * `OpenAI-Beta` headers) are never used.
 */
import type * as OpenAIRealtime from 'openai/resources/realtime/realtime';

/** The `session` of a `session.update` for a speech-to-speech session (`type: 'realtime'`). */
export type RealtimeSessionConfig = OpenAIRealtime.RealtimeSessionCreateRequest;

/**
 * Every event the gateway may send. `response.create` with item references is OpenAI's
 * separate `ResponseCreateEventWithReferencesParam` (not part of their client union).
 */
export type RealtimeClientEvent = OpenAIRealtime.RealtimeClientEvent | OpenAIRealtime.ResponseCreateEventWithReferencesParam;

/** Every event OpenAI may send, discriminated on `type`. */
export type RealtimeServerEvent = OpenAIRealtime.RealtimeServerEvent;

/** One server event by its `type`, e.g. `RealtimeServerEventOf<'response.done'>`. */
export type RealtimeServerEventOf<Type extends RealtimeServerEvent['type']> = Extract<RealtimeServerEvent, { type: Type }>;

export type RealtimeConversationItem = OpenAIRealtime.ConversationItem;
export type RealtimeErrorDetail = OpenAIRealtime.RealtimeError;
/** Token usage of one response (`response.done`). */
export type RealtimeUsage = OpenAIRealtime.RealtimeResponseUsage;
/** What a caller turn's transcription cost: tokens, or seconds of audio for per-minute models. */
export type RealtimeTranscriptionUsage = OpenAIRealtime.ConversationItemInputAudioTranscriptionCompletedEvent['usage'];
/** Why a caller turn could not be transcribed (`conversation.item.input_audio_transcription.failed`). */
export type RealtimeTranscriptionError = OpenAIRealtime.ConversationItemInputAudioTranscriptionFailedEvent['error'];
/** One entry of `rate_limits.updated` (every field may be missing). */
export type RealtimeRateLimit = OpenAIRealtime.RateLimitsUpdatedEvent.RateLimit;
export type RealtimeReasoningEffort = OpenAIRealtime.RealtimeReasoningEffort;
export type RealtimeSemanticVadEagerness = NonNullable<OpenAIRealtime.RealtimeAudioInputTurnDetection.SemanticVad['eagerness']>;
export type RealtimeNoiseReductionType = OpenAIRealtime.NoiseReductionType;
export type RealtimeServerVad = OpenAIRealtime.RealtimeAudioInputTurnDetection.ServerVad;
export type RealtimeAudioTranscription = OpenAIRealtime.AudioTranscription;

/**
 * A function tool as the gateway declares it: OpenAI's `RealtimeFunctionTool` with every field
 * required (so a tool can never go out without a name or a schema).
 */
export interface RealtimeFunctionTool extends OpenAIRealtime.RealtimeFunctionTool {
  type: 'function';
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

/** OpenAI errors that are expected during normal turn-taking races, not failures. */
export const BENIGN_OPENAI_ERROR_CODES: ReadonlySet<string> = new Set([
  'response_cancel_not_active',
  'conversation_already_has_active_response',
]);
