import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { RetentionOptions } from './privacy/call-record-retention.service';
import type { PiiKind } from './privacy/transcript-redactor';
import type { PriceOverrides } from './record/prices';
import type { WebhookEventType } from './webhooks/webhook-events';

/** What the post-call analysis does for the calls of one assistant profile. */
export interface ProfileAnalysisOptions {
  /** false: this profile's calls are not analysed. */
  enabled?: boolean;
  /** Added to the analysis instructions (what counts as success, what to look for). */
  instructions?: string;
  /** JSON schema (an object schema) of the structured fields the analysis fills in. */
  schema?: Record<string, unknown>;
  /** The text model for this profile's calls; unset: the global one. */
  model?: string;
}

/** The post-call analysis: a text model (OpenAI Responses API) reads each finished call's transcript. */
export interface PostCallAnalysisOptions {
  /** The default text model. */
  model: string;
  /** OpenAI's REST API base (e.g. `https://api.openai.com/v1`); `/responses` is appended. */
  apiBaseUrl: string;
  apiKey?: string;
  /** How the key is sent: `Authorization: Bearer` or Azure's `api-key` header. */
  auth: 'bearer' | 'api-key';
  /** One Responses API request's time limit. */
  timeoutMs: number;
  /** Per assistant profile (by name); a profile not here is analysed with the defaults. */
  profiles: Readonly<Record<string, ProfileAnalysisOptions>>;
}

export interface CallRecordsModuleOptions {
  /** PostgreSQL connection string; undefined: an embedded SQLite file under `dataDir`. */
  databaseUrl?: string;
  /** PostgreSQL schema of the call-record tables (created by the migrations). */
  databaseSchema: string;
  /** Directory of the embedded SQLite database. */
  dataDir: string;
  /** How often records of live calls are written (0: only at the end of the call). */
  checkpointMs: number;
  /** First delay before a failed write or webhook delivery is retried (doubles up to 60 s). */
  retryInitialMs: number;
  /** Receiver of the webhooks (lifecycle events, or the legacy finished records); undefined: none. */
  webhookUrl?: string;
  /** HMAC-SHA256 key of the webhook signature; required with `webhookUrl` (`whsec_<base64>` is decoded, anything else is raw UTF-8). */
  webhookSecret?: string;
  /** Earlier secrets still signed with (Standard Webhooks only), while receivers move to the new one. */
  webhookPreviousSecrets?: readonly string[];
  /** `standard`: Standard Webhooks envelopes and signatures; `legacy`: the finished record with X-Call-Record-* headers (call.ended only). Default `standard`. */
  webhookScheme?: 'standard' | 'legacy';
  /** The lifecycle events sent (standard scheme); default `call.ended` only. */
  webhookEvents?: readonly WebhookEventType[];
  /** Webhook delivery attempts before a record is given up on. */
  webhookMaxAttempts: number;
  /** Prices over the built-in table of OpenAI list prices (MODEL_PRICES), for the estimated cost of each call; undefined: the table. */
  tokenPrices?: PriceOverrides;
  /** The post-call analysis; undefined: off (nothing is sent to a text model). */
  analysis?: PostCallAnalysisOptions;
  /** Personal data replaced in every turn and tool call before a record is stored or sent; empty or undefined: off. */
  redaction?: PiiKind[];
  /** How long records are kept (the retention job); undefined: forever. */
  retention?: RetentionOptions;
}

export const { ConfigurableModuleClass: ConfigurableCallRecordsModule, MODULE_OPTIONS_TOKEN: CALL_RECORDS_OPTIONS } =
  new ConfigurableModuleBuilder<CallRecordsModuleOptions>({ moduleName: 'CallRecords' })
    .setClassMethodName('forRoot')
    .build();
