import { plainToInstance, Type } from 'class-transformer';
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

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Every environment variable the gateway reads, with its validation rules. */
export class EnvironmentVariables {
  @IsIn(DEPLOYMENT_ENVIRONMENTS)
  NODE_ENV: DeploymentEnvironment;

  @Type(() => Number) @IsInt() @Min(0) @Max(65535)
  PORT: number;

  @IsOptional()
  @IsUrl({ protocols: ['https', 'http'], require_tld: false, require_protocol: true })
  @Matches(/^[^?#]*[^/?#]$/, { message: 'PUBLIC_URL must be a base URL without a trailing slash, query or fragment' })
  PUBLIC_URL?: string;

  @ValidateIf((env: EnvironmentVariables) => env.NODE_ENV === 'production' || env.OPENAI_API_KEY !== undefined)
  @IsString()
  @MinLength(20, { message: 'OPENAI_API_KEY is required in production and must be a real key (20+ characters)' })
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

  @Type(() => Number) @IsNumber() @Min(0) @Max(1)
  VAD_THRESHOLD: number;

  @Type(() => Number) @IsInt() @Min(0) @Max(5000)
  VAD_PREFIX_PADDING_MS: number;

  @Type(() => Number) @IsInt() @Min(0) @Max(10000)
  VAD_SILENCE_DURATION_MS: number;

  /** Model for caller-side transcription; empty turns transcription off. */
  @IsString()
  INPUT_TRANSCRIPTION_MODEL: string;

  /** How much caller audio is held while the OpenAI session is being configured. */
  @Type(() => Number) @IsInt() @Min(0) @Max(60000)
  PRE_READY_BUFFER_MS: number;

  @IsOptional() @Matches(/^AC[0-9a-fA-F]{32}$/, { message: 'TWILIO_ACCOUNT_SID must look like AC followed by 32 hex digits' })
  TWILIO_ACCOUNT_SID?: string;

  @IsOptional() @IsString() @MinLength(16)
  TWILIO_AUTH_TOKEN?: string;

  /** Twilio REST base URL; point it at a fake in tests. */
  @IsUrl({ protocols: ['https', 'http'], require_tld: false, require_protocol: true })
  TWILIO_API_BASE_URL: string;

  /** Comma-separated API keys for the gateway's own HTTP API (bearer tokens). */
  @IsOptional() @IsString()
  @Matches(/^\s*[^,\s]{16,}\s*(,\s*[^,\s]{16,}\s*)*$/, { message: 'API_KEYS must be a comma-separated list of keys of 16+ characters' })
  API_KEYS?: string;

  /** Seconds a SIGTERM waits for live calls to end before saying goodbye to the rest. */
  @Type(() => Number) @IsNumber() @Min(0) @Max(3600)
  DRAIN_TIMEOUT_S: number;

  /** Calls this process takes at once; further calls are refused politely. Unset: no limit. */
  @IsOptional() @Type(() => Number) @IsInt() @Min(1)
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

/**
 * Merges the chosen environment's defaults under the real environment, validates every
 * variable and throws one error that names each offending variable.
 */
export function readEnvironment(source: NodeJS.ProcessEnv = process.env): EnvironmentVariables {
  const nodeEnv = (source.NODE_ENV || 'local') as DeploymentEnvironment;
  const defaults = ENVIRONMENT_DEFAULTS[nodeEnv] ?? {};
  const merged: Record<string, string | undefined> = { ...defaults, NODE_ENV: nodeEnv };
  for (const [key, value] of Object.entries(source)) {
    // An empty PUBLIC_URL / key means "unset"; empty texts (greeting, welcome) are meaningful.
    if (value === '' && (key === 'PUBLIC_URL' || key.endsWith('_KEY') || key.endsWith('_KEYS') || key.endsWith('_SID') || key.endsWith('_TOKEN'))) continue;
    if (value !== undefined) merged[key] = value;
  }
  const env = plainToInstance(EnvironmentVariables, merged, { excludeExtraneousValues: false });
  const errors = validateSync(env, { skipMissingProperties: false, forbidUnknownValues: false });
  if (errors.length > 0) {
    throw new InvalidEnvironmentError(
      errors.map((e) => `${e.property}: ${Object.values(e.constraints ?? {}).join('; ')}`),
    );
  }
  return env;
}
