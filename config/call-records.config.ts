import { webhookSigningKey } from '@app/auth';
import { parseRedactionKinds, parseWebhookEvents } from '@app/call-records';
import type { CallRecordsModuleOptions, ProfileAnalysisOptions } from '@app/call-records';
import { apiBaseFromRealtimeUrl, isAzureOpenAIUrl } from '@app/realtime';
import { IsIn, IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min, MinLength, ValidateIf } from 'class-validator';
import { parseAssistantProfiles } from './assistant-profiles';
import { commaSeparated, EmptyMeansUnset, ToNumber } from './config-owner';
import type { ConfigOwner } from './config-owner';
import type { EnvironmentVariables } from './environment';
import { MODEL_NAME } from './realtime.config';
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

  /** Optional receiver of the webhooks: lifecycle events (Standard Webhooks), or finished records (legacy). */
  @EmptyMeansUnset()
  @IsOptional()
  @IsUrl({ protocols: ['https', 'http'], require_tld: false, require_protocol: true })
  CALL_RECORD_WEBHOOK_URL?: string;

  /** HMAC-SHA256 key for the webhook signature (`whsec_<base64>` is decoded; anything else is raw UTF-8); required when CALL_RECORD_WEBHOOK_URL is set. */
  @EmptyMeansUnset()
  @ValidateIf((env: EnvironmentVariables) => env.CALL_RECORD_WEBHOOK_URL !== undefined || env.CALL_RECORD_WEBHOOK_SECRET !== undefined)
  @IsString()
  @MinLength(16, { message: 'CALL_RECORD_WEBHOOK_SECRET is required with CALL_RECORD_WEBHOOK_URL (16+ characters)' })
  CALL_RECORD_WEBHOOK_SECRET?: string;

  /** Earlier webhook secrets still signed with (comma-separated; Standard Webhooks only), while receivers move to the new one. */
  @EmptyMeansUnset()
  @IsOptional()
  @IsString()
  WEBHOOK_SECRETS_PREVIOUS?: string;

  /** `standard`: Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature); `legacy`: the record with X-Call-Record-* headers, call.ended only. */
  @IsIn(['standard', 'legacy'], { message: 'WEBHOOK_SIGNATURE_SCHEME must be standard or legacy' })
  WEBHOOK_SIGNATURE_SCHEME: 'standard' | 'legacy';

  /** The lifecycle events sent: a comma list of call.started, tool.called, call.transferred, call.ended, call.analyzed, or `*`. */
  @IsString()
  WEBHOOK_EVENTS: string;

  /** Webhook delivery (and post-call analysis) attempts before a message is given up on. */
  @EmptyMeansUnset() @ToNumber() @IsInt() @Min(1) @Max(100)
  CALL_RECORD_WEBHOOK_MAX_ATTEMPTS: number;

  /**
   * Prices over the built-in table of OpenAI list prices (USD per million tokens, per minute for
   * duration-priced transcription): one set for every Realtime model, or sets by model; empty: the table.
   */
  @IsString()
  @Matches(/^\s*(?:\{.*\}\s*)?$/s, { message: 'TOKEN_PRICES_USD_PER_MILLION must be a JSON object (or empty for the built-in prices)' })
  TOKEN_PRICES_USD_PER_MILLION: string;

  /** `on`: after each call a text model (OpenAI Responses API) writes a summary, a success judgement and the profile's fields onto the record. */
  @IsIn(['off', 'on'], { message: 'POST_CALL_ANALYSIS must be off or on' })
  POST_CALL_ANALYSIS: 'off' | 'on';

  /** The text model of the post-call analysis (a profile's `analysis.model` wins). */
  @Matches(MODEL_NAME, { message: 'ANALYSIS_MODEL must be a model id (or an Azure deployment name)' })
  ANALYSIS_MODEL: string;

  /** Time limit of one analysis request to the Responses API; below the outbox's 30 s claim, so no other instance runs the same job meanwhile. */
  @ToNumber() @IsInt() @Min(1000) @Max(25000)
  ANALYSIS_TIMEOUT_MS: number;

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

const SCHEMES_ERROR = 'WEBHOOK_EVENTS: the legacy scheme (WEBHOOK_SIGNATURE_SCHEME=legacy) sends call.ended only; use the standard scheme for other events';

/** The analysis settings of each profile of ASSISTANT_PROFILES (its problems are reported by the assistant's owner). */
function profileAnalyses(env: EnvironmentVariables): Record<string, ProfileAnalysisOptions> {
  let profiles: ReturnType<typeof parseAssistantProfiles>;
  try {
    profiles = parseAssistantProfiles(env.ASSISTANT_PROFILES, { inputTranscriptionModel: env.INPUT_TRANSCRIPTION_MODEL || undefined });
  } catch {
    return {};
  }
  const analyses: Record<string, ProfileAnalysisOptions> = {};
  for (const [name, profile] of Object.entries(profiles)) {
    if (profile.analysis) analyses[name] = { ...profile.analysis };
  }
  return analyses;
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
      WEBHOOK_SIGNATURE_SCHEME: 'standard',
      WEBHOOK_EVENTS: 'call.ended',
      POST_CALL_ANALYSIS: 'off',
      ANALYSIS_MODEL: 'gpt-5.4-mini',
      ANALYSIS_TIMEOUT_MS: '20000',
      // Empty: each call is priced by its own model from the built-in table.
      TOKEN_PRICES_USD_PER_MILLION: '',
      CALL_RECORD_RETENTION_SCOPE: 'transcript',
      CALL_RECORD_RETENTION_INTERVAL_MINUTES: '60',
      TRANSCRIPT_REDACTION: 'off',
    },
  },
  check(env, isValid) {
    const problems: string[] = [];
    const secrets: Array<[string, string | undefined]> = [
      ['CALL_RECORD_WEBHOOK_SECRET', env.CALL_RECORD_WEBHOOK_SECRET],
      ...commaSeparated(env.WEBHOOK_SECRETS_PREVIOUS).map((secret): [string, string] => ['WEBHOOK_SECRETS_PREVIOUS', secret]),
    ];
    for (const [name, secret] of secrets) {
      if (secret === undefined || !isValid(name)) continue;
      try {
        if (webhookSigningKey(secret).length < 16) problems.push(`${name}: a webhook secret must be 16+ bytes (a whsec_ secret: 16+ bytes once decoded)`);
      } catch (error) {
        problems.push(`${name}: ${(error as Error).message}`);
      }
    }
    if (isValid('WEBHOOK_EVENTS')) {
      // An unknown event name is reported when the section reads the list.
      const events = (() => {
        try {
          return parseWebhookEvents(env.WEBHOOK_EVENTS);
        } catch {
          return [];
        }
      })();
      if (env.WEBHOOK_SIGNATURE_SCHEME === 'legacy' && events.some((event) => event !== 'call.ended')) problems.push(SCHEMES_ERROR);
    }
    if (env.POST_CALL_ANALYSIS === 'on' && env.OPENAI_API_KEY === undefined) {
      problems.push('POST_CALL_ANALYSIS: on needs OPENAI_API_KEY (the analysis calls the OpenAI Responses API)');
    }
    return problems;
  },
  section: (env, parse) => ({
    databaseUrl: env.DATABASE_URL,
    databaseSchema: env.DATABASE_SCHEMA,
    dataDir: env.DATA_DIR,
    checkpointMs: env.CALL_RECORD_CHECKPOINT_MS,
    retryInitialMs: env.CALL_RECORD_RETRY_INITIAL_MS,
    webhookUrl: env.CALL_RECORD_WEBHOOK_URL,
    webhookSecret: env.CALL_RECORD_WEBHOOK_SECRET,
    webhookPreviousSecrets: commaSeparated(env.WEBHOOK_SECRETS_PREVIOUS),
    webhookScheme: env.WEBHOOK_SIGNATURE_SCHEME,
    webhookEvents: parse('WEBHOOK_EVENTS', () => {
      try {
        return parseWebhookEvents(env.WEBHOOK_EVENTS);
      } catch (error) {
        throw new Error(`WEBHOOK_EVENTS: ${(error as Error).message}`);
      }
    }),
    webhookMaxAttempts: env.CALL_RECORD_WEBHOOK_MAX_ATTEMPTS,
    tokenPrices: parse('TOKEN_PRICES_USD_PER_MILLION', () => parseTokenPrices(env.TOKEN_PRICES_USD_PER_MILLION)),
    analysis:
      env.POST_CALL_ANALYSIS === 'on'
        ? {
            model: env.ANALYSIS_MODEL,
            apiBaseUrl: env.OPENAI_API_BASE_URL ?? apiBaseFromRealtimeUrl(env.OPENAI_REALTIME_URL),
            apiKey: env.OPENAI_API_KEY,
            auth: env.OPENAI_AUTH_SCHEME === 'auto' ? (isAzureOpenAIUrl(env.OPENAI_REALTIME_URL) ? 'api-key' : 'bearer') : env.OPENAI_AUTH_SCHEME,
            timeoutMs: env.ANALYSIS_TIMEOUT_MS,
            profiles: profileAnalyses(env),
          }
        : undefined,
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
