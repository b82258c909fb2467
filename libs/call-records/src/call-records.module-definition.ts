import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { RetentionOptions } from './privacy/call-record-retention.service';
import type { PiiKind } from './privacy/transcript-redactor';
import type { PriceOverrides } from './record/prices';

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
  /** Receiver of finished call records (POSTed as JSON, HMAC-signed); undefined: none. */
  webhookUrl?: string;
  /** HMAC-SHA256 key of the webhook signature; required with `webhookUrl`. */
  webhookSecret?: string;
  /** Webhook delivery attempts before a record is given up on. */
  webhookMaxAttempts: number;
  /** Prices over the built-in table of OpenAI list prices (MODEL_PRICES), for the estimated cost of each call; undefined: the table. */
  tokenPrices?: PriceOverrides;
  /** Personal data replaced in every turn and tool call before a record is stored or sent; empty or undefined: off. */
  redaction?: PiiKind[];
  /** How long records are kept (the retention job); undefined: forever. */
  retention?: RetentionOptions;
}

export const { ConfigurableModuleClass: ConfigurableCallRecordsModule, MODULE_OPTIONS_TOKEN: CALL_RECORDS_OPTIONS } =
  new ConfigurableModuleBuilder<CallRecordsModuleOptions>({ moduleName: 'CallRecords' })
    .setClassMethodName('forRoot')
    .build();
