import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'vitest';
import { callRecordStoreContract } from '../../../../test/support/call-record-store.contract';
import { outboxStoreContract } from '../../../../test/support/outbox-store.contract';
import { SqliteCallRecordStore } from './sqlite-call-record.store';

describe('SqliteCallRecordStore (node:sqlite)', () => {
  callRecordStoreContract(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'call-records-'));
    const file = join(dir, 'nested', 'call-records.sqlite');
    return {
      store: new SqliteCallRecordStore(file),
      reopen: () => new SqliteCallRecordStore(file),
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  });

  describe('the webhook outbox', () => {
    outboxStoreContract(async () => {
      const dir = mkdtempSync(join(tmpdir(), 'outbox-'));
      const file = join(dir, 'call-records.sqlite');
      return { store: new SqliteCallRecordStore(file), reopen: () => new SqliteCallRecordStore(file), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
    });
  });
});
