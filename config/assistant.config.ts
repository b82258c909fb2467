import type { AssistantOptions } from '@app/orchestration';
import type { RealtimeNoiseReductionType, RealtimeReasoningEffort, RealtimeSemanticVadEagerness } from '@app/realtime';
import { IsIn, IsInt, IsNumber, IsOptional, IsString, IsUrl, Matches, Max, MaxLength, Min, MinLength, ValidateIf } from 'class-validator';
import {
  MAX_SPOKEN_TEXT,
  VOICEMAIL_ACTIONS,
  VOICEMAIL_DETECTIONS,
  VOICEMAIL_SPEAKERS,
  EAGERNESS_LEVELS,
  NOISE_REDUCTION_SETTINGS,
  parseAssistantProfiles,
  REASONING_EFFORTS,
  TURN_DETECTION_TYPES,
  transcriptionLanguagesProblem,
} from './assistant-profiles';
import { commaSeparated, EmptyMeansUnset, ToNumber } from './config-owner';
import type { ConfigOwner } from './config-owner';
import type { EnvironmentVariables } from './environment';
import { MODEL_NAME } from './realtime.config';

const SEED_INSTRUCTIONS =
  'You are a helpful and bubbly AI assistant who loves to chat about anything the user is interested in ' +
  'and is prepared to offer them facts. You have a penchant for dad jokes, owl jokes, and rickrolling ' +
  '– subtly. Always stay positive, but work in a joke when appropriate. You are talking on the phone, ' +
  'so keep your answers short and conversational.';

/** Who answers: the default assistant and the assistant profiles (libs/orchestration). */
export class AssistantVariables {
  @IsString() @MinLength(1)
  OPENAI_VOICE: string;

  @IsString()
  ASSISTANT_INSTRUCTIONS: string;

  /** Instructions for the assistant's first turn; empty means the caller speaks first. */
  @IsString()
  ASSISTANT_GREETING: string;

  /** How caller turns are detected: `server_vad` (silence) or `semantic_vad` (the model judges). */
  @IsIn(TURN_DETECTION_TYPES)
  TURN_DETECTION: 'server_vad' | 'semantic_vad';

  @ToNumber() @IsNumber() @Min(0) @Max(1)
  VAD_THRESHOLD: number;

  @ToNumber() @IsInt() @Min(0) @Max(5000)
  VAD_PREFIX_PADDING_MS: number;

  @ToNumber() @IsInt() @Min(0) @Max(10000)
  VAD_SILENCE_DURATION_MS: number;

  /** Semantic VAD only: how quickly the model takes its turn. */
  @IsIn(EAGERNESS_LEVELS)
  VAD_EAGERNESS: RealtimeSemanticVadEagerness;

  /** Input noise reduction: `near_field` (a handset), `far_field` (a speakerphone) or `off`. */
  @IsIn(NOISE_REDUCTION_SETTINGS)
  INPUT_NOISE_REDUCTION: RealtimeNoiseReductionType | 'off';

  /** Reasoning effort for the models that take it (gpt-realtime-2 and later); empty: the model's default. */
  @ValidateIf((env: EnvironmentVariables) => env.REASONING_EFFORT !== '')
  @IsIn(REASONING_EFFORTS, { message: `REASONING_EFFORT must be one of ${REASONING_EFFORTS.join(', ')}, or empty for the model's default` })
  REASONING_EFFORT: RealtimeReasoningEffort | '';

  /** Model for caller-side transcription; empty turns transcription off. */
  @ValidateIf((env: EnvironmentVariables) => env.INPUT_TRANSCRIPTION_MODEL !== '')
  @Matches(MODEL_NAME, { message: 'INPUT_TRANSCRIPTION_MODEL must be a model id (or an Azure deployment name), or empty to turn transcription off' })
  INPUT_TRANSCRIPTION_MODEL: string;

  /** Languages callers speak, as ISO-639-1 codes (comma-separated), hints for transcription; empty: none. */
  @Matches(/^\s*(?:[a-z]{2}\s*(?:,\s*[a-z]{2}\s*)*)?$/, { message: 'INPUT_TRANSCRIPTION_LANGUAGES must be comma-separated ISO-639-1 codes such as "en" or "en,es" (or empty)' })
  INPUT_TRANSCRIPTION_LANGUAGES: string;

  /** Tools of the default assistant (comma-separated names); empty or unset: every registered tool. */
  @IsOptional() @IsString()
  ASSISTANT_TOOLS?: string;

  /** Voicemail detection of outbound calls: `off`, `twilio` (Twilio's async AMD), `model` (the voicemail_detected tool) or `both`. */
  @IsIn(VOICEMAIL_DETECTIONS)
  VOICEMAIL_DETECTION: 'off' | 'twilio' | 'model' | 'both';

  /** On a machine: `leave-message` (after the beep) or `hang-up`. */
  @IsIn(VOICEMAIL_ACTIONS)
  VOICEMAIL_ACTION: 'leave-message' | 'hang-up';

  /** The voicemail message; empty: the assistant leaves a short one of its own. */
  @IsString() @MaxLength(MAX_SPOKEN_TEXT)
  VOICEMAIL_MESSAGE: string;

  /** Who speaks the message: `assistant` (its voice, through the session) or `say` (Twilio's <Say>). */
  @IsIn(VOICEMAIL_SPEAKERS)
  VOICEMAIL_SPEAK: 'assistant' | 'say';

  /** With Twilio's detection, how long an outbound call's greeting waits for AnsweredBy. */
  @ToNumber() @IsInt() @Min(0) @Max(30000)
  VOICEMAIL_GREETING_HOLD_MS: number;

  /** Record calls (dual-channel, through Twilio's REST API, from the stream start). */
  @IsIn(['true', 'false'])
  CALL_RECORDING: 'true' | 'false';

  /** Said to the caller before the stream connects when a call is recorded; empty: nothing. */
  @IsString() @MaxLength(MAX_SPOKEN_TEXT)
  CALL_RECORDING_DISCLOSURE: string;

  /** Extra assistant profiles: JSON text, or `@/path/to/profiles.json`. */
  @IsOptional() @IsString()
  ASSISTANT_PROFILES?: string;

  /** The integrator's backend asked at each call's start which assistant answers (signed POST); unset: off. */
  @EmptyMeansUnset()
  @IsOptional()
  @IsUrl({ protocols: ['https', 'http'], require_tld: false, require_protocol: true }, { message: 'ASSISTANT_LOOKUP_URL must be an http(s) URL' })
  ASSISTANT_LOOKUP_URL?: string;

  /** Standard Webhooks secret signing the lookup requests (`whsec_<base64>` or 16+ characters); required with ASSISTANT_LOOKUP_URL. */
  @EmptyMeansUnset()
  @ValidateIf((env: EnvironmentVariables) => env.ASSISTANT_LOOKUP_URL !== undefined || env.ASSISTANT_LOOKUP_SECRET !== undefined)
  @IsString()
  @MinLength(16, { message: 'ASSISTANT_LOOKUP_SECRET is required with ASSISTANT_LOOKUP_URL (16+ characters)' })
  ASSISTANT_LOOKUP_SECRET?: string;

  /** How long a call waits for the lookup's answer before it runs with the static profile. */
  @ToNumber() @IsInt() @Min(50) @Max(5000)
  ASSISTANT_LOOKUP_TIMEOUT_MS: number;
}

/** Loopback hosts, which may be plain http in every environment. */
function isLoopbackUrl(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Outside `local`, the lookup URL must be https (or loopback): the request carries the caller's number. */
export function lookupUrlProblem(url: string | undefined, environment: string): string | undefined {
  if (url === undefined) return undefined;
  const parsed = new URL(url);
  if (parsed.protocol === 'https:' || environment === 'local' || isLoopbackUrl(parsed)) return undefined;
  return 'ASSISTANT_LOOKUP_URL must be https outside NODE_ENV=local (plain http only on loopback)';
}

export const assistantConfig: ConfigOwner<AssistantOptions> = {
  variables: AssistantVariables,
  defaults: {
    all: {
      OPENAI_VOICE: 'alloy',
      ASSISTANT_INSTRUCTIONS: SEED_INSTRUCTIONS,
      ASSISTANT_GREETING: 'Greet the caller warmly in one short sentence and ask how you can help.',
      TURN_DETECTION: 'server_vad',
      VAD_THRESHOLD: '0.5',
      VAD_PREFIX_PADDING_MS: '300',
      VAD_SILENCE_DURATION_MS: '500',
      VAD_EAGERNESS: 'auto',
      INPUT_NOISE_REDUCTION: 'near_field',
      REASONING_EFFORT: 'low',
      INPUT_TRANSCRIPTION_MODEL: 'gpt-transcribe',
      INPUT_TRANSCRIPTION_LANGUAGES: '',
      ASSISTANT_LOOKUP_TIMEOUT_MS: '800',
      VOICEMAIL_DETECTION: 'off',
      VOICEMAIL_ACTION: 'leave-message',
      VOICEMAIL_MESSAGE: '',
      VOICEMAIL_SPEAK: 'assistant',
      VOICEMAIL_GREETING_HOLD_MS: '3500',
      CALL_RECORDING: 'false',
      CALL_RECORDING_DISCLOSURE: '',
    },
  },
  check: (env, isValid) => {
    const problems: string[] = [];
    // The OpenAI socket opens during the lookup and must be configured before its connect timeout.
    if (env.ASSISTANT_LOOKUP_URL && isValid('ASSISTANT_LOOKUP_TIMEOUT_MS') && isValid('OPENAI_CONNECT_TIMEOUT_MS') && env.ASSISTANT_LOOKUP_TIMEOUT_MS + 1000 > env.OPENAI_CONNECT_TIMEOUT_MS) {
      problems.push(`ASSISTANT_LOOKUP_TIMEOUT_MS: must be at least 1000 ms below OPENAI_CONNECT_TIMEOUT_MS (${env.OPENAI_CONNECT_TIMEOUT_MS}): the OpenAI session waits for the lookup before it is configured`);
    }
    if (isValid('ASSISTANT_LOOKUP_URL') && isValid('NODE_ENV')) {
      const problem = lookupUrlProblem(env.ASSISTANT_LOOKUP_URL, env.NODE_ENV);
      if (problem) problems.push(problem);
    }
    if (!isValid('INPUT_TRANSCRIPTION_LANGUAGES') || !isValid('INPUT_TRANSCRIPTION_MODEL')) return problems;
    const problem = transcriptionLanguagesProblem(env.INPUT_TRANSCRIPTION_MODEL, commaSeparated(env.INPUT_TRANSCRIPTION_LANGUAGES));
    if (problem) problems.push(`INPUT_TRANSCRIPTION_LANGUAGES: ${problem}`);
    return problems;
  },
  section: (env, parse) => ({
    voice: env.OPENAI_VOICE,
    instructions: env.ASSISTANT_INSTRUCTIONS,
    greeting: env.ASSISTANT_GREETING,
    turnDetection: {
      type: env.TURN_DETECTION,
      threshold: env.VAD_THRESHOLD,
      prefixPaddingMs: env.VAD_PREFIX_PADDING_MS,
      silenceDurationMs: env.VAD_SILENCE_DURATION_MS,
      eagerness: env.VAD_EAGERNESS,
    },
    noiseReduction: env.INPUT_NOISE_REDUCTION === 'off' ? undefined : env.INPUT_NOISE_REDUCTION,
    reasoningEffort: env.REASONING_EFFORT || undefined,
    inputTranscriptionModel: env.INPUT_TRANSCRIPTION_MODEL || undefined,
    transcriptionLanguages: commaSeparated(env.INPUT_TRANSCRIPTION_LANGUAGES),
    voicemail: {
      detection: env.VOICEMAIL_DETECTION,
      action: env.VOICEMAIL_ACTION,
      message: env.VOICEMAIL_MESSAGE.trim() || undefined,
      speak: env.VOICEMAIL_SPEAK,
    },
    voicemailGreetingHoldMs: env.VOICEMAIL_GREETING_HOLD_MS,
    recording: { enabled: env.CALL_RECORDING === 'true', disclosure: env.CALL_RECORDING_DISCLOSURE.trim() || undefined },
    tools: env.ASSISTANT_TOOLS?.trim() ? commaSeparated(env.ASSISTANT_TOOLS) : undefined,
    // Read once (it may name a file).
    profiles: parse('ASSISTANT_PROFILES', () =>
      parseAssistantProfiles(env.ASSISTANT_PROFILES, { inputTranscriptionModel: env.INPUT_TRANSCRIPTION_MODEL || undefined }),
    ),
    lookup: env.ASSISTANT_LOOKUP_URL
      ? { url: env.ASSISTANT_LOOKUP_URL, secret: env.ASSISTANT_LOOKUP_SECRET!, timeoutMs: env.ASSISTANT_LOOKUP_TIMEOUT_MS }
      : undefined,
  }),
};
