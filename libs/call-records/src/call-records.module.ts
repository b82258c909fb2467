import { Logger, Module } from '@nestjs/common';
import { join, resolve } from 'node:path';
import { PostCallAnalysis } from './analysis/post-call-analysis';
import { CallRecordsController } from './api/call-records.controller';
import { CallRecorder } from './call-recorder.service';
import { CALL_RECORDS_OPTIONS, ConfigurableCallRecordsModule } from './call-records.module-definition';
import type { CallRecordsModuleOptions } from './call-records.module-definition';
import { CallRecordWebhook } from './delivery/call-record-webhook';
import { CallRecordWriter } from './delivery/call-record.writer';
import { OutboxDispatcher } from './outbox/outbox-dispatcher';
import { OutboxJobs } from './outbox/outbox-jobs';
import { OutboxPublisher } from './outbox/outbox-publisher';
import { OutboxSigners } from './outbox/outbox-signers';
import { OutboxStore } from './outbox/outbox.store';
import { CallRecordStore } from './store/call-record.store';
import { PostgresCallRecordStore } from './store/postgres-call-record.store';
import { SqliteCallRecordStore } from './store/sqlite-call-record.store';
import { TwilioStatusRecorder } from './twilio-status-recorder';
import { LifecycleWebhooks } from './webhooks/lifecycle-webhooks';
import { CallRecordRetention } from './privacy/call-record-retention.service';

const SQLITE_FILE_NAME = 'call-records.sqlite';

/** PostgreSQL when a database URL is set, else an embedded SQLite file under the data directory. */
export function createCallRecordStore(options: Pick<CallRecordsModuleOptions, 'databaseUrl' | 'databaseSchema' | 'dataDir'>): CallRecordStore {
  const logger = new Logger('CallRecordStore');
  if (options.databaseUrl) {
    const store = new PostgresCallRecordStore({
      connectionString: options.databaseUrl,
      schema: options.databaseSchema,
      onError: (error) => logger.warn(`PostgreSQL connection error: ${error.message}`),
    });
    logger.log(`call records go to PostgreSQL (schema ${options.databaseSchema})`);
    return store;
  }
  const file = resolve(join(options.dataDir, SQLITE_FILE_NAME));
  logger.log(`call records go to the embedded SQLite database ${file} (set DATABASE_URL for PostgreSQL)`);
  return new SqliteCallRecordStore(file);
}

/**
 * Call records: built from call events, stored, served over the API, sent as lifecycle webhooks
 * (Standard Webhooks; or the legacy record webhook) through the durable outbox (which other
 * webhook events can use: publish with OutboxPublisher, sign with a signer registered in
 * OutboxSigners; durable jobs register in OutboxJobs), analysed after the call when configured and reconciled with Twilio's status callbacks (pass TwilioStatusRecorder, and this module, to
 * TwilioModule.forRoot({ callStatus, imports })).
 * Needs OrchestrationModule, AuthModule and ThrottlerModule (the API's rate limits, see ApiRateLimitGuard) registered.
 */
@Module({
  controllers: [CallRecordsController],
  providers: [
    { provide: CallRecordStore, inject: [CALL_RECORDS_OPTIONS], useFactory: createCallRecordStore },
    // Both adapters keep the outbox in the records' database.
    { provide: OutboxStore, useExisting: CallRecordStore },
    OutboxSigners,
    OutboxJobs,
    OutboxDispatcher,
    OutboxPublisher,
    CallRecordWriter,
    CallRecordWebhook,
    LifecycleWebhooks,
    PostCallAnalysis,
    CallRecorder,
    TwilioStatusRecorder,
    CallRecordRetention,
  ],
  exports: [CallRecordStore, CallRecorder, TwilioStatusRecorder, OutboxStore, OutboxPublisher, OutboxSigners, OutboxJobs, LifecycleWebhooks, CallRecordRetention],
})
export class CallRecordsModule extends ConfigurableCallRecordsModule {
  private readonly logger = new Logger(CallRecordsModule.name);

  constructor(
    private readonly store: CallRecordStore,
    private readonly outbox: OutboxDispatcher,
  ) {
    super();
  }

  /** Migrates at start without holding the app up (a database that is down is retried), and starts delivering the outbox. */
  onApplicationBootstrap(): void {
    this.store.migrate().catch((error: Error) => this.logger.warn(`call record migrations not applied yet (${this.store.kind}): ${error.message}`));
    this.outbox.start();
  }
}
