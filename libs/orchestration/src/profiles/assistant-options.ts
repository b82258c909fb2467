/** Server VAD: how the caller's turns are detected. */
export interface TurnDetectionSettings {
  /** 0–1: how loud speech must be. */
  threshold: number;
  /** Audio kept before detected speech. */
  prefixPaddingMs: number;
  /** Silence that ends the caller's turn. */
  silenceDurationMs: number;
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
  turnDetection?: Partial<TurnDetectionSettings>;
}

/** The assistants this gateway runs: the default one and the named profiles. */
export interface AssistantOptions {
  voice: string;
  instructions: string;
  /** Instructions for the first turn; empty: the caller speaks first. */
  greeting: string;
  turnDetection: TurnDetectionSettings;
  /** Model of caller-side transcription; undefined: no transcripts of the caller. */
  inputTranscriptionModel?: string;
  /** Tools of the default assistant; undefined: every registered tool. */
  tools?: string[];
  /** Further assistants by name. */
  profiles: Record<string, AssistantProfile>;
}
