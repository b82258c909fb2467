import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SqliteCallRecordStore } from '../../libs/call-records/src/store/sqlite-call-record.store';
import { callRecordStoreContract } from '../support/call-record-store.contract';
import { outboxStoreContract } from '../support/outbox-store.contract';
import { buildGateway, GATEWAY_DIST } from '../support/gateway-build';

/**
 * The embedded store as the image runs it: the compiled client from dist/ starting the compiled
 * worker thread (`.mjs`), held to the same contract as the TypeScript sources are in their spec.
 */
describe('SqliteCallRecordStore from the build (compiled worker thread)', () => {
  let Store: typeof SqliteCallRecordStore;
  let dist: string;

  beforeAll(async () => {
    dist = await buildGateway();
    // Node's own loader, not the test transform: exactly the files the image holds.
    ({ SqliteCallRecordStore: Store } = createRequire(__filename)(join(dist, 'libs/call-records/src/store/sqlite-call-record.store.js')));
  }, 180_000);

  it('starts the compiled .mjs worker, not the TypeScript source', () => {
    const client = readFileSync(join(dist, 'libs/call-records/src/store/sqlite-worker.js'), 'utf8');
    expect(client).toContain("'sqlite-worker.thread.mjs'");
    expect(readFileSync(join(dist, 'libs/call-records/src/store/sqlite-worker.thread.mjs'), 'utf8')).toMatch(/from ['"]node:sqlite['"]/);
  });

  it('db:migrate creates and migrates the database file, then exits', () => {
    const dir = mkdtempSync(join(tmpdir(), 'built-migrate-'));
    try {
      const migrate = spawnSync(process.execPath, [join(GATEWAY_DIST, 'apps/voice-gateway/src/migrate.js')], {
        env: { PATH: process.env.PATH, NODE_ENV: 'local', DATA_DIR: dir, LOG_LEVEL: 'warn' },
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(migrate.stderr).toBe('');
      expect(migrate.stdout).toContain('call-record migrations applied (sqlite)');
      expect(migrate.status).toBe(0);
      expect(existsSync(join(dir, 'call-records.sqlite'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  callRecordStoreContract(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'built-call-records-'));
    const file = join(dir, 'nested', 'call-records.sqlite');
    return {
      store: new Store(file),
      reopen: () => new Store(file),
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  });

  describe('the webhook outbox', () => {
    outboxStoreContract(async () => {
      const dir = mkdtempSync(join(tmpdir(), 'built-outbox-'));
      const file = join(dir, 'call-records.sqlite');
      return { store: new Store(file), reopen: () => new Store(file), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
    });
  });
});
