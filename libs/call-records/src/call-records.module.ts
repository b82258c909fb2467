import { Logger, Module } from '@nestjs/common';
import { callRecordsConfig } from '@app/config';
import type { CallRecordsConfig } from '@app/config';
import { AuthModule } from '@app/auth';
import { OrchestrationModule } from '@app/orchestration';
import { TwilioApiModule } from '@app/telephony';
import { join, resolve } from 'node:path';
import { CallRecordsController } from './api/call-records.controller';
import { TwilioCallStatusController } from './api/twilio-call-status.controller';
import { CallRecorder } from './call-recorder.service';
import { CallRecordWebhook } from './delivery/call-record-webhook';
import { CallRecordWriter } from './delivery/call-record.writer';
import { CallRecordStore } from './store/call-record.store';
import { PostgresCallRecordStore } from './store/postgres-call-record.store';
import { SqliteCallRecordStore } from './store/sqlite-call-record.store';

export const SQLITE_FILE_NAME = 'call-records.sqlite';

/** PostgreSQL when DATABASE_URL is set, else an embedded SQLite file under DATA_DIR. */
export function createCallRecordStore(config: CallRecordsConfig): CallRecordStore {
  const logger = new Logger('CallRecordStore');
  if (config.databaseUrl) {
    const store = new PostgresCallRecordStore({
      connectionString: config.databaseUrl,
      schema: config.databaseSchema,
      onError: (error) => logger.warn(`PostgreSQL connection error: ${error.message}`),
    });
    logger.log(`call records go to PostgreSQL (schema ${config.databaseSchema})`);
    return store;
  }
  const file = resolve(join(config.dataDir, SQLITE_FILE_NAME));
  logger.log(`call records go to the embedded SQLite database ${file} (set DATABASE_URL for PostgreSQL)`);
  return new SqliteCallRecordStore(file);
}

/** Call records: built from call events, stored, served over the API and pushed to a webhook. */
@Module({
  imports: [OrchestrationModule, AuthModule, TwilioApiModule],
  controllers: [CallRecordsController, TwilioCallStatusController],
  providers: [
    { provide: CallRecordStore, inject: [callRecordsConfig.KEY], useFactory: createCallRecordStore },
    CallRecordWriter,
    CallRecordWebhook,
    CallRecorder,
  ],
  exports: [CallRecordStore, CallRecorder],
})
export class CallRecordsModule {
  private readonly logger = new Logger(CallRecordsModule.name);

  constructor(private readonly store: CallRecordStore) {}

  /** Migrates at start without holding the app up: a database that is down is retried by the writer. */
  onApplicationBootstrap(): void {
    this.store.migrate().catch((error: Error) => this.logger.warn(`call record migrations not applied yet (${this.store.kind}): ${error.message}`));
  }
}
