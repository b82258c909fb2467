import type { RealtimeNoiseReductionType, RealtimeReasoningEffort, RealtimeSemanticVadEagerness } from '@app/realtime';
import type { AssistantLookupOptions } from '../lookup/assistant-lookup';

/** How the caller's turns are detected. */
export interface TurnDetectionSettings {
  /** `server_vad`: a turn ends after a silence; `semantic_vad`: the model judges when the caller is done. */
  type: 'server_vad' | 'semantic_vad';
  /** Server VAD, 0–1: how loud speech must be. */
  threshold: number;
  /** Server VAD: audio kept before detected speech. */
  prefixPaddingMs: number;
  /** Server VAD: silence that ends the caller's turn. */
  silenceDurationMs: number;
  /** Semantic VAD: how quickly the model takes its turn (`auto` is `medium`). */
  eagerness: RealtimeSemanticVadEagerness;
}

/** Input noise reduction: `near_field` for a handset held to the ear, `far_field` for a speakerphone, or `off`. */
export type NoiseReductionSetting = RealtimeNoiseReductionType | 'off';

/** One named assistant. Every field is optional: what is missing comes from the default assistant. */
export interface AssistantProfile {
  /** Twilio numbers (E.164) whose inbound calls get this assistant (matched on the dialled `To`). */
  numbers?: string[];
  /** System instructions; `{{from}}`, `{{to}}`, `{{callSid}}` and `{{<parameter or variable>}}` are filled in per call. */
  instructions?: string;
  voice?: string;
  /** Instructions for the first turn; empty: the caller speaks first. */
  greeting?: string;
  /** Tool names this assistant may use; unset: the default assistant's tools. */
  tools?: string[];
  /** The language the assistant speaks (e.g. "Spanish"), added to its instructions. */
  language?: string;
  /** The Realtime model this assistant runs (on Azure, a deployment); unset: the gateway's default model. */
  model?: string;
  /** Reasoning effort, for the models that take it; unset: the default assistant's. */
  reasoningEffort?: RealtimeReasoningEffort;
  turnDetection?: Partial<TurnDetectionSettings>;
  noiseReduction?: NoiseReductionSetting;
  /** Languages callers speak (ISO-639-1), hints for transcription; unset: the default assistant's. */
  transcriptionLanguages?: string[];
}

/** The assistants this gateway runs: the default one and the named profiles. */
export interface AssistantOptions {
  voice: string;
  instructions: string;
  /** Instructions for the first turn; empty: the caller speaks first. */
  greeting: string;
  turnDetection: TurnDetectionSettings;
  /** Input noise reduction of the default assistant; undefined: off. */
  noiseReduction?: RealtimeNoiseReductionType;
  /** Reasoning effort, sent to the models that take it (gpt-realtime-2 and later); undefined: the model's own default. */
  reasoningEffort?: RealtimeReasoningEffort;
  /** Model of caller-side transcription; undefined: no transcripts of the caller. */
  inputTranscriptionModel?: string;
  /** Languages callers speak (ISO-639-1), hints for transcription; empty: none. */
  transcriptionLanguages?: string[];
  /** Tools of the default assistant; undefined: every registered tool. */
  tools?: string[];
  /** Further assistants by name. */
  profiles: Record<string, AssistantProfile>;
  /** The integrator's backend, asked at each call's start which assistant answers; undefined: off (the static profile). */
  lookup?: AssistantLookupOptions;
}
