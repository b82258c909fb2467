import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, StatementSync } from 'node:sqlite';
import type { CallRecord, TwilioCallStatus } from '../record/call-record';
import { reconcileWithTwilio } from '../record/call-record';
import { CallRecordPage, CallRecordQuery, CallRecordStore, summarize } from './call-record.store';
import { MIGRATIONS } from './migrations';
import { listConditions } from './sql-query';

interface Row {
  record: string;
  twilio_status: string | null;
}

/**
 * Call records in an embedded SQLite file (Node's built-in `node:sqlite`), the default when
 * DATABASE_URL is unset. node:sqlite is synchronous: each statement is one small indexed write
 * (WAL, synchronous=NORMAL), done off the audio events by the writer, a few per call.
 */
export class SqliteCallRecordStore extends CallRecordStore {
  readonly kind = 'sqlite';
  private db?: DatabaseSync;
  private statements?: { save: StatementSync; twilio: StatementSync; get: StatementSync };

  constructor(private readonly file: string) {
    super();
  }

  async migrate(): Promise<void> {
    this.open();
  }

  async save(record: CallRecord): Promise<void> {
    this.open().save.run(
      record.callSid,
      record.revision,
      record.startedAt,
      record.endedAt ?? null,
      record.from ?? null,
      record.to ?? null,
      record.endReason ?? null,
      record.status,
      JSON.stringify(record),
      new Date().toISOString(),
    );
  }

  async saveTwilioStatus(callSid: string, status: TwilioCallStatus): Promise<void> {
    this.open().twilio.run(callSid, JSON.stringify(status), new Date().toISOString());
  }

  async get(callSid: string): Promise<CallRecord | undefined> {
    const row = this.open().get.get(callSid) as Row | undefined;
    return row ? toRecord(row) : undefined;
  }

  async list(query: CallRecordQuery): Promise<CallRecordPage> {
    this.open();
    const db = this.db!;
    const { where, params } = listConditions(query, () => '?');
    const { total } = db.prepare(`SELECT count(*) AS total FROM call_records WHERE ${where}`).get(...params) as { total: number };
    const rows = db
      .prepare(`SELECT record, twilio_status FROM call_records WHERE ${where} ORDER BY started_at DESC, call_sid DESC LIMIT ? OFFSET ?`)
      .all(...params, query.limit, query.offset) as unknown as Row[];
    return { total: Number(total), limit: query.limit, offset: query.offset, items: rows.map((row) => summarize(toRecord(row))) };
  }

  async close(): Promise<void> {
    this.db?.close();
    this.db = undefined;
    this.statements = undefined;
  }

  private open(): NonNullable<SqliteCallRecordStore['statements']> {
    if (this.statements) return this.statements;
    mkdirSync(dirname(this.file), { recursive: true });
    const db = new DatabaseSync(this.file);
    try {
      db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;');
      migrate(db);
      this.statements = {
        save: db.prepare(
          `INSERT INTO call_records (call_sid, revision, started_at, ended_at, from_number, to_number, end_reason, status, record, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (call_sid) DO UPDATE SET revision = excluded.revision, started_at = excluded.started_at,
             ended_at = excluded.ended_at, from_number = excluded.from_number, to_number = excluded.to_number,
             end_reason = excluded.end_reason, status = excluded.status, record = excluded.record, updated_at = excluded.updated_at
           WHERE call_records.revision < excluded.revision OR call_records.record IS NULL`,
        ),
        twilio: db.prepare(
          `INSERT INTO call_records (call_sid, twilio_status, updated_at) VALUES (?, ?, ?)
           ON CONFLICT (call_sid) DO UPDATE SET twilio_status = json_patch(COALESCE(call_records.twilio_status, '{}'), excluded.twilio_status),
             updated_at = excluded.updated_at`,
        ),
        get: db.prepare('SELECT record, twilio_status FROM call_records WHERE call_sid = ? AND record IS NOT NULL'),
      };
      this.db = db;
      return this.statements;
    } catch (error) {
      db.close();
      throw error;
    }
  }
}

function migrate(db: DatabaseSync): void {
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec('CREATE TABLE IF NOT EXISTS call_record_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at text NOT NULL)');
    const applied = new Set((db.prepare('SELECT version FROM call_record_migrations').all() as { version: number }[]).map((row) => row.version));
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      for (const sql of migration.sql) db.exec(sql.replaceAll('{json}', 'text').replaceAll('{time}', 'text'));
      db.prepare('INSERT INTO call_record_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(migration.version, migration.name, new Date().toISOString());
    }
    db.exec('COMMIT');
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
}

function toRecord(row: Row): CallRecord {
  return reconcileWithTwilio(JSON.parse(row.record) as CallRecord, row.twilio_status ? (JSON.parse(row.twilio_status) as TwilioCallStatus) : undefined);
}
