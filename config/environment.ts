import { plainToInstance, Transform } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateIf,
  validateSync,
} from 'class-validator';
import { DEPLOYMENT_ENVIRONMENTS, ENVIRONMENT_DEFAULTS } from './environment-defaults';
import type { DeploymentEnvironment } from './environment-defaults';
import { parseAssistantProfiles } from './assistant-profiles';
import { parseTokenPrices } from './token-prices';

/**
 * Converts a numeric variable. A blank value is invalid (NaN) rather than 0: `Number('')` is 0,
 * which would silently mean "any free port" for PORT or a hair-trigger VAD_THRESHOLD.
 */
const ToNumber = () => Transform(({ value }) => (typeof value === 'string' && value.trim() === '' ? Number.NaN : Number(value)));

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Every environment variable the gateway reads, with its validation rules. */
export class EnvironmentVariables {
  @IsIn(DEPLOYMENT_ENVIRONMENTS)
  NODE_ENV: DeploymentEnvironment;

  @ToNumber() @IsInt() @Min(0) @Max(65535)
  PORT: number;

  @IsOptional()
  @IsUrl({ protocols: ['https', 'http'], require_tld: false, require_protocol: true })
  @Matches(/^[^?#]*[^/?#]$/, { message: 'PUBLIC_URL must be a base URL without a trailing slash, query or fragment' })
  PUBLIC_URL?: string;

  // Only `local` has the embedded simulator to fall back on.
  @ValidateIf((env: EnvironmentVariables) => env.NODE_ENV !== 'local' || env.OPENAI_API_KEY !== undefined)
  @IsString()
  @MinLength(20, { message: 'OPENAI_API_KEY is required outside local (which alone runs the embedded simulator) and must be a real key (20+ characters)' })
  OPENAI_API_KEY?: string;

  @IsUrl({ protocols: ['wss', 'ws'], require_tld: false, require_protocol: true })
  OPENAI_REALTIME_URL: string;

  @IsString() @MinLength(1)
  OPENAI_REALTIME_MODEL: string;

  @IsString() @MinLength(1)
  OPENAI_VOICE: string;

  @IsString()
  ASSISTANT_INSTRUCTIONS: string;

  /** Instructions for the assistant's first turn; empty means the caller speaks first. */
  @IsString()
  ASSISTANT_GREETING: string;

  /** Spoken by Twilio (<Say>) before the stream connects; empty means none. */
  @IsString()
  TWIML_WELCOME_MESSAGE: string;

  @ToNumber() @IsNumber() @Min(0) @Max(1)
  VAD_THRESHOLD: number;

  @ToNumber() @IsInt() @Min(0) @Max(5000)
  VAD_PREFIX_PADDING_MS: number;

  @ToNumber() @IsInt() @Min(0) @Max(10000)
  VAD_SILENCE_DURATION_MS: number;

  /** Model for caller-side transcription; empty turns transcription off. */
  @IsString()
  INPUT_TRANSCRIPTION_MODEL: string;

  /** How much caller audio is held while the OpenAI session is being configured. */
  @ToNumber() @IsInt() @Min(0) @Max(60000)
  PRE_READY_BUFFER_MS: number;

  @IsOptional() @Matches(/^AC[0-9a-fA-F]{32}$/, { message: 'TWILIO_ACCOUNT_SID must look like AC followed by 32 hex digits' })
  TWILIO_ACCOUNT_SID?: string;

  @IsOptional() @IsString() @MinLength(16)
  TWILIO_AUTH_TOKEN?: string;

  /** `false` turns Twilio signature validation off; in production without a token it must be set explicitly. */
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'TWILIO_VALIDATE_SIGNATURES must be true or false' })
  TWILIO_VALIDATE_SIGNATURES?: 'true' | 'false';

  /** How long a media-stream socket may stay open without sending `start`. */
  @ToNumber() @IsInt() @Min(100) @Max(60000)
  MEDIA_STREAM_START_TIMEOUT_MS: number;

  /** Time from opening an OpenAI socket to the session being configured before the attempt is abandoned. */
  @ToNumber() @IsInt() @Min(100) @Max(60000)
  OPENAI_CONNECT_TIMEOUT_MS: number;

  /** Tries per connect or reconnect of a call's OpenAI session before giving up. */
  @ToNumber() @IsInt() @Min(1) @Max(10)
  OPENAI_CONNECT_ATTEMPTS: number;

  /** Reconnects (drops, expiries) one call may go through before it falls back. */
  @ToNumber() @IsInt() @Min(0) @Max(100)
  OPENAI_MAX_RECONNECTS_PER_CALL: number;

  /** E.164 number the caller is transferred to when OpenAI cannot be recovered; unset: apologise and hang up. */
  @IsOptional() @Matches(/^\+[1-9][0-9]{6,14}$/, { message: 'FALLBACK_PHONE_NUMBER must be an E.164 number such as +15551234567' })
  FALLBACK_PHONE_NUMBER?: string;

  /** Spoken (<Say>) to the caller when OpenAI cannot be recovered. */
  @IsString() @MinLength(1)
  FALLBACK_MESSAGE: string;

  /** Twilio REST base URL; point it at a fake in tests. */
  @IsUrl({ protocols: ['https', 'http'], require_tld: false, require_protocol: true })
  TWILIO_API_BASE_URL: string;

  /** Default `from` number for outbound calls (E.164). */
  @IsOptional() @Matches(/^\+[1-9]\d{6,14}$/, { message: 'TWILIO_PHONE_NUMBER must be an E.164 number such as +15551234567' })
  TWILIO_PHONE_NUMBER?: string;

  /** Human number(s) transfer_call may dial (comma-separated E.164; the first is the default). */
  @IsOptional()
  @Matches(/^\s*\+[1-9]\d{6,14}\s*(,\s*\+[1-9]\d{6,14}\s*)*$/, { message: 'TRANSFER_PHONE_NUMBER must be one or more comma-separated E.164 numbers' })
  TRANSFER_PHONE_NUMBER?: string;

  @IsIn(['true', 'false'])
  END_CALL_ENABLED: 'true' | 'false';

  @IsIn(['true', 'false'])
  TRANSFER_CALL_ENABLED: 'true' | 'false';

  /** How long a tool may run before the model is told it failed. */
  @ToNumber() @IsInt() @Min(100) @Max(120000)
  TOOL_TIMEOUT_MS: number;

  /** Longest call; then the assistant says goodbye and the call ends (0: no limit). */
  @ToNumber() @IsInt() @Min(0) @Max(86400)
  MAX_CALL_DURATION_S: number;

  /** Caller silence (after the assistant finished) before a nudge, and as long again before a polite hang-up (0: off). */
  @ToNumber() @IsInt() @Min(0) @Max(3600)
  CALLER_IDLE_TIMEOUT_S: number;

  /** Keypad presses closer together than this are sent to the model as one entry. */
  @ToNumber() @IsInt() @Min(0) @Max(10000)
  DTMF_WINDOW_MS: number;

  /** Tools of the default assistant (comma-separated names); empty or unset: every registered tool. */
  @IsOptional() @IsString()
  ASSISTANT_TOOLS?: string;

  /** Extra assistant profiles: JSON text, or `@/path/to/profiles.json`. */
  @IsOptional() @IsString()
  ASSISTANT_PROFILES?: string;

  /** Comma-separated API keys for the gateway's own HTTP API (bearer tokens). */
  // In production an enabled console must be protected by the API key.
  @ValidateIf((env: EnvironmentVariables) => env.API_KEYS !== undefined || (env.NODE_ENV === 'production' && env.CONSOLE_ENABLED === 'true'))
  @IsString({ message: 'API_KEYS is required in production when CONSOLE_ENABLED=true' })
  @Matches(/^\s*[^,\s]{16,}\s*(,\s*[^,\s]{16,}\s*)*$/, { message: 'API_KEYS must be a comma-separated list of keys of 16+ characters' })
  API_KEYS?: string;

  /** PostgreSQL connection string for call records; unset: embedded SQLite under DATA_DIR. */
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'DATABASE_URL must be a postgres:// or postgresql:// connection string' })
  DATABASE_URL?: string;

  /** PostgreSQL schema holding the call-record tables (created by the migrations). */
  @Matches(/^[a-z_][a-z0-9_]{0,62}$/, { message: 'DATABASE_SCHEMA must be a lower-case SQL identifier' })
  DATABASE_SCHEMA: string;

  /** Directory of the embedded SQLite database used when DATABASE_URL is unset. */
  @IsString() @MinLength(1)
  DATA_DIR: string;

  /** How often records of live calls are checkpointed to the database (0: only at call end). */
  @ToNumber() @IsInt() @Min(0) @Max(3600000)
  CALL_RECORD_CHECKPOINT_MS: number;

  /** First delay before a failed record write or webhook delivery is retried (doubles up to 60 s). */
  @ToNumber() @IsInt() @Min(1) @Max(60000)
  CALL_RECORD_RETRY_INITIAL_MS: number;

  /** Optional receiver of finished call records (POSTed as JSON, HMAC-signed). */
  @IsOptional()
  @IsUrl({ protocols: ['https', 'http'], require_tld: false, require_protocol: true })
  CALL_RECORD_WEBHOOK_URL?: string;

  /** HMAC-SHA256 key for the webhook signature; required when CALL_RECORD_WEBHOOK_URL is set. */
  @ValidateIf((env: EnvironmentVariables) => env.CALL_RECORD_WEBHOOK_URL !== undefined || env.CALL_RECORD_WEBHOOK_SECRET !== undefined)
  @IsString()
  @MinLength(16, { message: 'CALL_RECORD_WEBHOOK_SECRET is required with CALL_RECORD_WEBHOOK_URL (16+ characters)' })
  CALL_RECORD_WEBHOOK_SECRET?: string;

  /** Webhook delivery attempts before a record is given up on. */
  @ToNumber() @IsInt() @Min(1) @Max(100)
  CALL_RECORD_WEBHOOK_MAX_ATTEMPTS: number;

  /** Token prices in USD per million tokens, for the estimated cost: JSON with any of inputText, inputAudio, cachedInput, outputText, outputAudio. */
  @IsString()
  @Matches(/^\s*\{.*\}\s*$/s, { message: 'TOKEN_PRICES_USD_PER_MILLION must be a JSON object' })
  TOKEN_PRICES_USD_PER_MILLION: string;
  /** The live web console and browser softphone at /console. */
  @IsIn(['true', 'false'])
  CONSOLE_ENABLED: 'true' | 'false';
  /** Seconds a SIGTERM waits for live calls to end before saying goodbye to the rest. */
  @ToNumber() @IsNumber() @Min(0) @Max(3600)
  DRAIN_TIMEOUT_S: number;

  /** Calls this process takes at once; further calls are refused politely. Unset: no limit. */
  @IsOptional() @ToNumber() @IsInt() @Min(1)
  MAX_CONCURRENT_CALLS?: number;

  /** Spoken (<Say>) to callers refused while draining or at capacity. */
  @IsString() @MinLength(1)
  CALL_REFUSED_MESSAGE: string;

  /** Spoken (<Say>) to callers still connected when the drain timeout passes. */
  @IsString() @MinLength(1)
  DRAIN_GOODBYE_MESSAGE: string;

  @IsIn(LOG_LEVELS)
  LOG_LEVEL: (typeof LOG_LEVELS)[number];

  @IsIn(['json', 'pretty'])
  LOG_FORMAT: 'json' | 'pretty';
}

export class InvalidEnvironmentError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  - ${problems.join('\n  - ')}`);
    this.name = 'InvalidEnvironmentError';
  }
}

/** Variables whose empty value means "unset" (empty texts such as the greeting are meaningful). */
function isUnsetWhenEmpty(key: string): boolean {
  return (
    key === 'PUBLIC_URL' ||
    key === 'DATABASE_URL' ||
    key === 'FALLBACK_PHONE_NUMBER' ||
    key === 'TWILIO_VALIDATE_SIGNATURES' ||
    key === 'MAX_CONCURRENT_CALLS' ||
    key.startsWith('CALL_RECORD_WEBHOOK_') ||
    /_(KEY|KEYS|SID|TOKEN)$/.test(key)
  );
}

/**
 * Merges the chosen environment's defaults under the real environment, validates every
 * variable and throws one error that names each offending variable.
 */
export function readEnvironment(source: NodeJS.ProcessEnv = process.env): EnvironmentVariables {
  const nodeEnv = (source.NODE_ENV || 'local') as DeploymentEnvironment;
  const defaults = ENVIRONMENT_DEFAULTS[nodeEnv] ?? {};
  const merged: Record<string, string | undefined> = { ...defaults, NODE_ENV: nodeEnv };
  for (const [key, value] of Object.entries(source)) {
    if (value === '' && isUnsetWhenEmpty(key)) continue;
    if (value !== undefined) merged[key] = value;
  }
  const env = plainToInstance(EnvironmentVariables, merged, { excludeExtraneousValues: false });
  const errors = validateSync(env, { skipMissingProperties: false, forbidUnknownValues: false });
  const problems = errors.map((e) => `${e.property}: ${Object.values(e.constraints ?? {}).join('; ')}`);
  if (!errors.some((e) => e.property === 'TOKEN_PRICES_USD_PER_MILLION')) {
    try {
      parseTokenPrices(env.TOKEN_PRICES_USD_PER_MILLION);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  try {
    parseAssistantProfiles(env.ASSISTANT_PROFILES);
  } catch (error) {
    problems.push((error as Error).message);
  }
  if (env.NODE_ENV === 'production' && !env.TWILIO_AUTH_TOKEN && env.TWILIO_VALIDATE_SIGNATURES !== 'false' && !errors.some((e) => e.property === 'TWILIO_VALIDATE_SIGNATURES')) {
    problems.push(
      'TWILIO_AUTH_TOKEN: is required in production to validate Twilio signatures; to run without validation set TWILIO_VALIDATE_SIGNATURES=false explicitly',
    );
  }
  if (problems.length > 0) throw new InvalidEnvironmentError(problems);
  return env;
}
