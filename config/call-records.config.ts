import { parseRedactionKinds } from '@app/call-records';
import type { CallRecordsModuleOptions } from '@app/call-records';
import { IsIn, IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min, MinLength, ValidateIf } from 'class-validator';
import { EmptyMeansUnset, ToNumber } from './config-owner';
import type { ConfigOwner } from './config-owner';
import type { EnvironmentVariables } from './environment';
import { parseTokenPrices } from './token-prices';

/** Where call records are stored and pushed, and how their cost is estimated (libs/call-records). */
export class CallRecordsVariables {
  /** PostgreSQL connection string for call records; unset: embedded SQLite under DATA_DIR. */
  @EmptyMeansUnset()
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
  @EmptyMeansUnset()
  @IsOptional()
  @IsUrl({ protocols: ['https', 'http'], require_tld: false, require_protocol: true })
  CALL_RECORD_WEBHOOK_URL?: string;

  /** HMAC-SHA256 key for the webhook signature; required when CALL_RECORD_WEBHOOK_URL is set. */
  @EmptyMeansUnset()
  @ValidateIf((env: EnvironmentVariables) => env.CALL_RECORD_WEBHOOK_URL !== undefined || env.CALL_RECORD_WEBHOOK_SECRET !== undefined)
  @IsString()
  @MinLength(16, { message: 'CALL_RECORD_WEBHOOK_SECRET is required with CALL_RECORD_WEBHOOK_URL (16+ characters)' })
  CALL_RECORD_WEBHOOK_SECRET?: string;

  /** Webhook delivery attempts before a record is given up on. */
  @EmptyMeansUnset() @ToNumber() @IsInt() @Min(1) @Max(100)
  CALL_RECORD_WEBHOOK_MAX_ATTEMPTS: number;

  /**
   * Prices over the built-in table of OpenAI list prices (USD per million tokens, per minute for
   * duration-priced transcription): one set for every Realtime model, or sets by model; empty: the table.
   */
  @IsString()
  @Matches(/^\s*(?:\{.*\}\s*)?$/s, { message: 'TOKEN_PRICES_USD_PER_MILLION must be a JSON object (or empty for the built-in prices)' })
  TOKEN_PRICES_USD_PER_MILLION: string;

  /** Days records are kept; past them the retention job purges them (see the scope). Unset: kept forever. */
  @EmptyMeansUnset() @IsOptional() @ToNumber() @IsInt() @Min(1) @Max(36500)
  CALL_RECORD_RETENTION_DAYS?: number;

  /** What the retention job removes: `transcript` (transcripts and tool-call data; usage, cost, times stay) or `record` (whole rows). */
  @IsIn(['transcript', 'record'])
  CALL_RECORD_RETENTION_SCOPE: 'transcript' | 'record';

  /** How often each instance runs the retention job. */
  @ToNumber() @IsInt() @Min(1) @Max(1440)
  CALL_RECORD_RETENTION_INTERVAL_MINUTES: number;

  /** Personal data replaced in transcripts and tool calls before records are stored or sent: `off`, `all`, or a list of `card,email,phone`. */
  @Matches(/^\s*(?:off|all|(?:card|email|phone)(?:\s*,\s*(?:card|email|phone))*)\s*$/i, {
    message: 'TRANSCRIPT_REDACTION must be off, all, or a comma-separated list of card, email, phone',
  })
  TRANSCRIPT_REDACTION: string;
}

/** The retention job's first run comes this long after start (then every interval). */
export const RETENTION_FIRST_RUN_DELAY_MS = 30_000;

export const callRecordsConfig: ConfigOwner<CallRecordsModuleOptions> = {
  variables: CallRecordsVariables,
  defaults: {
    all: {
      DATABASE_SCHEMA: 'public',
      DATA_DIR: 'data',
      CALL_RECORD_CHECKPOINT_MS: '30000',
      CALL_RECORD_RETRY_INITIAL_MS: '1000',
      CALL_RECORD_WEBHOOK_MAX_ATTEMPTS: '8',
      // Empty: each call is priced by its own model from the built-in table.
      TOKEN_PRICES_USD_PER_MILLION: '',
      CALL_RECORD_RETENTION_SCOPE: 'transcript',
      CALL_RECORD_RETENTION_INTERVAL_MINUTES: '60',
      TRANSCRIPT_REDACTION: 'off',
    },
  },
  section: (env, parse) => ({
    databaseUrl: env.DATABASE_URL,
    databaseSchema: env.DATABASE_SCHEMA,
    dataDir: env.DATA_DIR,
    checkpointMs: env.CALL_RECORD_CHECKPOINT_MS,
    retryInitialMs: env.CALL_RECORD_RETRY_INITIAL_MS,
    webhookUrl: env.CALL_RECORD_WEBHOOK_URL,
    webhookSecret: env.CALL_RECORD_WEBHOOK_SECRET,
    webhookMaxAttempts: env.CALL_RECORD_WEBHOOK_MAX_ATTEMPTS,
    tokenPrices: parse('TOKEN_PRICES_USD_PER_MILLION', () => parseTokenPrices(env.TOKEN_PRICES_USD_PER_MILLION)),
    redaction: parse('TRANSCRIPT_REDACTION', () => parseRedactionKinds(env.TRANSCRIPT_REDACTION)),
    retention:
      env.CALL_RECORD_RETENTION_DAYS === undefined
        ? undefined
        : {
            days: env.CALL_RECORD_RETENTION_DAYS,
            scope: env.CALL_RECORD_RETENTION_SCOPE,
            intervalMs: env.CALL_RECORD_RETENTION_INTERVAL_MINUTES * 60_000,
            initialDelayMs: Math.min(RETENTION_FIRST_RUN_DELAY_MS, env.CALL_RECORD_RETENTION_INTERVAL_MINUTES * 60_000),
          },
  }),
};
