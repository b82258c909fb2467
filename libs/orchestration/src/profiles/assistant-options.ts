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

/**
 * Voicemail detection and drop, for outbound calls. `detection`: `twilio` asks Twilio's asynchronous
 * answering-machine detection (AnsweredBy), `model` offers the assistant the `voicemail_detected`
 * tool, `both` does both; `off` neither. On a machine, after the beep: `leave-message` leaves
 * `message` (spoken by the assistant, or by Twilio's `<Say>` when `speak` is `say`) then hangs up;
 * `hang-up` hangs up at once.
 */
export interface VoicemailSettings {
  detection: 'off' | 'twilio' | 'model' | 'both';
  action: 'leave-message' | 'hang-up';
  /** The message to leave (`{{variables}}` are filled in); unset: the assistant leaves a short one of its own. */
  message?: string;
  speak: 'assistant' | 'say';
}

/** Dual-channel Twilio recording of the call, started with its stream; `disclosure` is said (`<Say>`) to the caller before the stream connects. */
export interface RecordingSettings {
  enabled: boolean;
  disclosure?: string;
}

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
  /** Voicemail detection and drop (outbound calls); each field unset: the default assistant's. */
  voicemail?: Partial<VoicemailSettings>;
  /** Call recording; each field unset: the default assistant's. */
  recording?: Partial<RecordingSettings>;
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
  /** Voicemail detection and drop of the default assistant (outbound calls). */
  voicemail: VoicemailSettings;
  /** With Twilio's detection, an outbound call's greeting waits this long for AnsweredBy (a person says "hello" first anyway). */
  voicemailGreetingHoldMs: number;
  /** Call recording of the default assistant. */
  recording: RecordingSettings;
  /** Further assistants by name. */
  profiles: Record<string, AssistantProfile>;
  /** The integrator's backend, asked at each call's start which assistant answers; undefined: off (the static profile). */
  lookup?: AssistantLookupOptions;
}
