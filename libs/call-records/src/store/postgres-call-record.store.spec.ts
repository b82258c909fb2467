import { describe } from 'vitest';
import { dropSchema, requirePostgres, TEST_DATABASE_URL, uniqueSchema } from '../../../../test/support/postgres';
import { callRecordStoreContract } from '../../../../test/support/call-record-store.contract';
import { outboxStoreContract } from '../../../../test/support/outbox-store.contract';
import { PostgresCallRecordStore } from './postgres-call-record.store';

describe('PostgresCallRecordStore (real PostgreSQL)', () => {
  callRecordStoreContract(async () => {
    await requirePostgres();
    const schema = uniqueSchema();
    const open = () => new PostgresCallRecordStore({ connectionString: TEST_DATABASE_URL, schema });
    return { store: open(), reopen: open, cleanup: () => dropSchema(schema) };
  });

  describe('the webhook outbox', () => {
    outboxStoreContract(async () => {
      await requirePostgres();
      const schema = uniqueSchema('outbox_test');
      const open = () => new PostgresCallRecordStore({ connectionString: TEST_DATABASE_URL, schema });
      return { store: open(), reopen: open, cleanup: () => dropSchema(schema) };
    });
  });
});
