import type { TwilioCallStatus } from '@app/telephony';
import type { CallRecord } from '../record/call-record';
import { reconcileWithTwilio } from '../record/call-record';
import type { OutboxDelivery, OutboxMessage, OutboxRow, OutboxStore } from '../outbox/outbox.store';
import { CallRecordPage, CallRecordQuery, CallRecordStore, ERASED_ROW_SET, outboxBodyPattern, recordRowValues, summarize, twilioOnlyRecordingSid } from './call-record.store';
import type { ExpiredRecord, RetentionScope } from './call-record.store';
import { MIGRATIONS } from './migrations';
import { listConditions } from './sql-query';
import { SqliteWorkerClient } from './sqlite-worker';

interface Row {
  record: string;
  twilio_status: string | null;
}

const SAVE = `INSERT INTO call_records (call_sid, revision, started_at, ended_at, from_number, to_number, end_reason, status, record, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (call_sid) DO UPDATE SET revision = excluded.revision, started_at = excluded.started_at,
    ended_at = excluded.ended_at, from_number = excluded.from_number, to_number = excluded.to_number,
    end_reason = excluded.end_reason, status = excluded.status, record = excluded.record, updated_at = excluded.updated_at
  WHERE (call_records.revision < excluded.revision OR call_records.record IS NULL) AND call_records.erased_at IS NULL AND call_records.transcript_purged_at IS NULL`;

const SAVE_TWILIO = `INSERT INTO call_records (call_sid, twilio_status, updated_at) VALUES (?, ?, ?)
  ON CONFLICT (call_sid) DO UPDATE SET twilio_status = json_patch(COALESCE(call_records.twilio_status, '{}'), excluded.twilio_status),
    updated_at = excluded.updated_at
  WHERE call_records.erased_at IS NULL
  RETURNING call_sid`;

interface OutboxRecord {
  id: string;
  event_type: string;
  destination: string;
  signer: string;
  body: string;
  status: 'pending' | 'failed';
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
  created_at: string;
}

const CLAIM_DUE = `UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?
  WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?)
  RETURNING *`;

/**
 * Call records (and the webhook outbox) in an embedded SQLite file (Node's built-in `node:sqlite`), the default when
 * DATABASE_URL is unset. The database runs in a worker thread (see SqliteWorkerClient); the file
 * is created and migrated on first use.
 */
export class SqliteCallRecordStore extends CallRecordStore implements OutboxStore {
  readonly kind = 'sqlite';
  private readonly db: SqliteWorkerClient;

  constructor(readonly file: string) {
    super();
    const migrations = MIGRATIONS.map((m) => ({ ...m, sql: m.sql.map((sql) => sql.replaceAll('{json}', 'text').replaceAll('{time}', 'text')) }));
    this.db = new SqliteWorkerClient(file, migrations);
  }

  async migrate(): Promise<void> {
    await this.db.get('SELECT 1');
  }

  async save(record: CallRecord): Promise<void> {
    await this.db.run(SAVE, [...recordRowValues(record), new Date().toISOString()]);
  }

  async saveTwilioStatus(callSid: string, status: TwilioCallStatus): Promise<boolean> {
    return (await this.db.all(SAVE_TWILIO, [callSid, JSON.stringify(status), new Date().toISOString()])).length > 0;
  }

  async get(callSid: string): Promise<CallRecord | undefined> {
    const row = await this.db.get<Row>('SELECT record, twilio_status FROM call_records WHERE call_sid = ? AND record IS NOT NULL', [callSid]);
    return row ? toRecord(row) : undefined;
  }

  async twilioStatusOf(callSid: string): Promise<TwilioCallStatus | undefined> {
    const row = await this.db.get<{ twilio_status: string | null }>('SELECT twilio_status FROM call_records WHERE call_sid = ? AND erased_at IS NULL', [callSid]);
    return row?.twilio_status ? (JSON.parse(row.twilio_status) as TwilioCallStatus) : undefined;
  }

  async list(query: CallRecordQuery): Promise<CallRecordPage> {
    const { where, params } = listConditions(query, () => '?');
    const count = await this.db.get<{ total: number }>(`SELECT count(*) AS total FROM call_records WHERE ${where}`, params);
    const rows = await this.db.all<Row>(
      `SELECT record, twilio_status FROM call_records WHERE ${where} ORDER BY started_at DESC, call_sid DESC LIMIT ? OFFSET ?`,
      [...params, query.limit, query.offset],
    );
    return { total: Number(count?.total ?? 0), limit: query.limit, offset: query.offset, items: rows.map((row) => summarize(toRecord(row))) };
  }

  async expired(cutoff: string, scope: RetentionScope, limit: number): Promise<ExpiredRecord[]> {
    const rows =
      scope === 'transcript'
        ? await this.db.all<{ call_sid: string; record: string | null; twilio_status: string | null }>(
            // Records started before the cutoff, and rows that only Twilio's recording callback wrote (a record never came).
            `SELECT call_sid, record, twilio_status FROM call_records WHERE transcript_purged_at IS NULL AND erased_at IS NULL
               AND ((record IS NOT NULL AND started_at < ?) OR (record IS NULL AND updated_at < ? AND json_extract(twilio_status, '$.recording.sid') IS NOT NULL))
             ORDER BY started_at, call_sid LIMIT ?`,
            [cutoff, cutoff, limit],
          )
        : await this.db.all<{ call_sid: string; record: string | null; twilio_status: string | null }>(
            `SELECT call_sid, record, twilio_status FROM call_records WHERE started_at < ? OR (started_at IS NULL AND updated_at < ?)
             ORDER BY started_at, call_sid LIMIT ?`,
            [cutoff, cutoff, limit],
          );
    return rows.map((row) => {
      const record = row.record ? (JSON.parse(row.record) as CallRecord) : undefined;
      const twilioRecordingSid = twilioOnlyRecordingSid(record, row.twilio_status ? JSON.parse(row.twilio_status) : undefined);
      return { callSid: row.call_sid, ...(record ? { record } : {}), ...(twilioRecordingSid ? { twilioRecordingSid } : {}) };
    });
  }

  async markTranscriptPurged(purged: CallRecord, purgedAt: string): Promise<boolean> {
    const rows = await this.db.all(
      'UPDATE call_records SET record = ?, transcript_purged_at = ?, updated_at = ? WHERE call_sid = ? AND transcript_purged_at IS NULL RETURNING call_sid',
      [JSON.stringify(purged), purgedAt, new Date().toISOString(), purged.callSid],
    );
    return rows.length > 0;
  }

  async markRecordingOnlyPurged(callSid: string, purgedAt: string): Promise<boolean> {
    const rows = await this.db.all(
      'UPDATE call_records SET transcript_purged_at = ?, updated_at = ? WHERE call_sid = ? AND record IS NULL AND transcript_purged_at IS NULL RETURNING call_sid',
      [purgedAt, new Date().toISOString(), callSid],
    );
    return rows.length > 0;
  }

  async delete(callSid: string): Promise<boolean> {
    const rows = await this.db.all('DELETE FROM call_records WHERE call_sid = ? RETURNING call_sid', [callSid]);
    await this.deleteOutboxRowsOf(callSid);
    return rows.length > 0;
  }

  async erase(callSid: string): Promise<boolean> {
    const now = new Date().toISOString();
    const rows = await this.db.all(`UPDATE call_records SET ${ERASED_ROW_SET}, erased_at = ?, updated_at = ? WHERE call_sid = ? AND erased_at IS NULL RETURNING call_sid`, [now, now, callSid]);
    await this.deleteOutboxRowsOf(callSid);
    return rows.length > 0;
  }

  /** Pending or given-up webhook deliveries about the call (they hold its record). */
  private async deleteOutboxRowsOf(callSid: string): Promise<void> {
    await this.db.run(`DELETE FROM outbox WHERE body LIKE ? ESCAPE '\\'`, [outboxBodyPattern(callSid)]);
  }

  async purgeOutbox(cutoff: string): Promise<number> {
    return (await this.db.all('DELETE FROM outbox WHERE created_at < ? RETURNING id', [cutoff])).length;
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  // ---- outbox (one statement each: the worker runs them one at a time, so a claim is atomic) ----

  async enqueue(message: OutboxMessage): Promise<void> {
    const now = new Date().toISOString();
    await this.db.run(
      `INSERT INTO outbox (id, event_type, destination, signer, body, status, attempts, next_attempt_at, created_at)
       VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?) ON CONFLICT (id) DO NOTHING`,
      [message.id, message.type, message.destination, message.signer, message.body, now, now],
    );
  }

  async claimDue(limit: number, leaseMs: number): Promise<OutboxDelivery[]> {
    const now = Date.now();
    const rows = await this.db.all<OutboxRecord>(CLAIM_DUE, [new Date(now + leaseMs).toISOString(), new Date(now).toISOString(), limit]);
    return rows
      .sort((a, b) => a.created_at.localeCompare(b.created_at))
      .map((row) => ({ ...messageOf(row), attempt: row.attempts, createdAt: row.created_at }));
  }

  async delivered(id: string): Promise<void> {
    await this.db.run('DELETE FROM outbox WHERE id = ?', [id]);
  }

  async retryLater(id: string, delayMs: number, error: string): Promise<void> {
    await this.db.run(`UPDATE outbox SET next_attempt_at = ?, last_error = ? WHERE id = ? AND status = 'pending'`, [
      new Date(Date.now() + delayMs).toISOString(),
      error,
      id,
    ]);
  }

  async giveUp(id: string, error: string): Promise<void> {
    await this.db.run(`UPDATE outbox SET status = 'failed', last_error = ? WHERE id = ?`, [error, id]);
  }

  async release(ids: string[], delayMs = 0): Promise<void> {
    const due = new Date(Date.now() + delayMs).toISOString();
    for (const id of ids) {
      await this.db.run(`UPDATE outbox SET next_attempt_at = ?, attempts = max(attempts - 1, 0) WHERE id = ? AND status = 'pending'`, [due, id]);
    }
  }

  async find(id: string): Promise<OutboxRow | undefined> {
    const row = await this.db.get<OutboxRecord>('SELECT * FROM outbox WHERE id = ?', [id]);
    if (!row) return undefined;
    return { ...messageOf(row), status: row.status, attempts: row.attempts, nextAttemptAt: row.next_attempt_at, lastError: row.last_error ?? undefined };
  }
}

function messageOf(row: OutboxRecord): OutboxMessage {
  return { id: row.id, type: row.event_type, destination: row.destination, signer: row.signer, body: row.body };
}

function toRecord(row: Row): CallRecord {
  return reconcileWithTwilio(JSON.parse(row.record) as CallRecord, row.twilio_status ? (JSON.parse(row.twilio_status) as TwilioCallStatus) : undefined);
}
