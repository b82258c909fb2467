import { Pool, PoolClient } from 'pg';
import type { TwilioCallStatus } from '@app/telephony';
import type { CallRecord } from '../record/call-record';
import { reconcileWithTwilio } from '../record/call-record';
import type { OutboxDelivery, OutboxMessage, OutboxRow, OutboxStore } from '../outbox/outbox.store';
import { CallRecordPage, CallRecordQuery, CallRecordStore, ERASED_ROW_SET, outboxBodyPattern, recordRowValues, summarize, twilioOnlyRecordingSid } from './call-record.store';
import type { ExpiredRecord, RetentionScope } from './call-record.store';
import { MIGRATIONS } from './migrations';
import { listConditions } from './sql-query';

export interface PostgresStoreOptions {
  connectionString: string;
  schema: string;
  onError?: (error: Error) => void;
}

interface OutboxRecord {
  id: string;
  event_type: string;
  destination: string;
  signer: string;
  body: string;
  status: 'pending' | 'failed';
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  created_at: Date;
}

/**
 * Call records and the webhook outbox in PostgreSQL (`pg`): parameterised queries only, schema from
 * MIGRATIONS. Outbox times are the database server's (`now()`), so instances' clocks never disagree.
 */
export class PostgresCallRecordStore extends CallRecordStore implements OutboxStore {
  readonly kind = 'postgresql';
  private readonly pool: Pool;
  private migrated?: Promise<void>;

  constructor(private readonly options: PostgresStoreOptions) {
    super();
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(options.schema)) throw new Error(`invalid schema name ${options.schema}`);
    this.pool = new Pool({
      connectionString: options.connectionString,
      options: `-c search_path=${options.schema}`,
      max: 4,
      connectionTimeoutMillis: 5000,
      query_timeout: 10000,
      idleTimeoutMillis: 10000,
      application_name: 'voice-gateway',
    });
    // An idle client losing its server must not become an uncaught error.
    this.pool.on('error', (error) => options.onError?.(error));
  }

  migrate(): Promise<void> {
    if (!this.migrated) {
      this.migrated = this.runMigrations();
      this.migrated.catch(() => (this.migrated = undefined));
    }
    return this.migrated;
  }

  async save(record: CallRecord): Promise<void> {
    await this.migrate();
    await this.pool.query(
      `INSERT INTO call_records (call_sid, revision, started_at, ended_at, from_number, to_number, end_reason, status, record, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now())
       ON CONFLICT (call_sid) DO UPDATE SET revision = EXCLUDED.revision, started_at = EXCLUDED.started_at,
         ended_at = EXCLUDED.ended_at, from_number = EXCLUDED.from_number, to_number = EXCLUDED.to_number,
         end_reason = EXCLUDED.end_reason, status = EXCLUDED.status, record = EXCLUDED.record, updated_at = now()
       WHERE (call_records.revision < EXCLUDED.revision OR call_records.record IS NULL) AND call_records.erased_at IS NULL AND call_records.transcript_purged_at IS NULL`,
      recordRowValues(record),
    );
  }

  async saveTwilioStatus(callSid: string, status: TwilioCallStatus): Promise<boolean> {
    await this.migrate();
    const result = await this.pool.query(
      `INSERT INTO call_records (call_sid, twilio_status, updated_at) VALUES ($1, $2, now())
       ON CONFLICT (call_sid) DO UPDATE SET twilio_status = COALESCE(call_records.twilio_status, '{}'::jsonb) || EXCLUDED.twilio_status, updated_at = now()
       WHERE call_records.erased_at IS NULL`,
      [callSid, JSON.stringify(status)],
    );
    return (result.rowCount ?? 0) > 0;
  }

  async get(callSid: string): Promise<CallRecord | undefined> {
    await this.migrate();
    const { rows } = await this.pool.query<{ record: CallRecord; twilio_status: TwilioCallStatus | null }>(
      'SELECT record, twilio_status FROM call_records WHERE call_sid = $1 AND record IS NOT NULL',
      [callSid],
    );
    return rows[0] ? reconcileWithTwilio(rows[0].record, rows[0].twilio_status ?? undefined) : undefined;
  }

  async twilioStatusOf(callSid: string): Promise<TwilioCallStatus | undefined> {
    await this.migrate();
    const { rows } = await this.pool.query<{ twilio_status: TwilioCallStatus | null }>('SELECT twilio_status FROM call_records WHERE call_sid = $1 AND erased_at IS NULL', [callSid]);
    return rows[0]?.twilio_status ?? undefined;
  }

  async list(query: CallRecordQuery): Promise<CallRecordPage> {
    await this.migrate();
    const { where, params } = listConditions(query, (n) => `$${n}`);
    const count = await this.pool.query<{ total: string }>(`SELECT count(*) AS total FROM call_records WHERE ${where}`, params);
    const { rows } = await this.pool.query<{ record: CallRecord; twilio_status: TwilioCallStatus | null }>(
      `SELECT record, twilio_status FROM call_records WHERE ${where}
       ORDER BY started_at DESC, call_sid DESC LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, query.limit, query.offset],
    );
    return {
      total: Number(count.rows[0].total),
      limit: query.limit,
      offset: query.offset,
      items: rows.map((row) => summarize(reconcileWithTwilio(row.record, row.twilio_status ?? undefined))),
    };
  }

  async expired(cutoff: string, scope: RetentionScope, limit: number): Promise<ExpiredRecord[]> {
    await this.migrate();
    const { rows } =
      scope === 'transcript'
        ? await this.pool.query<{ call_sid: string; record: CallRecord | null; twilio_status: unknown }>(
            // Records started before the cutoff, and rows that only Twilio's recording callback wrote (a record never came).
            `SELECT call_sid, record, twilio_status FROM call_records WHERE transcript_purged_at IS NULL AND erased_at IS NULL
               AND ((record IS NOT NULL AND started_at < $1) OR (record IS NULL AND updated_at < $1 AND twilio_status->'recording'->>'sid' IS NOT NULL))
             ORDER BY started_at NULLS FIRST, call_sid LIMIT $2`,
            [cutoff, limit],
          )
        : await this.pool.query<{ call_sid: string; record: CallRecord | null; twilio_status: unknown }>(
            `SELECT call_sid, record, twilio_status FROM call_records WHERE started_at < $1 OR (started_at IS NULL AND updated_at < $1)
             ORDER BY started_at NULLS FIRST, call_sid LIMIT $2`,
            [cutoff, limit],
          );
    return rows.map((row) => {
      const twilioRecordingSid = twilioOnlyRecordingSid(row.record, row.twilio_status);
      return { callSid: row.call_sid, ...(row.record ? { record: row.record } : {}), ...(twilioRecordingSid ? { twilioRecordingSid } : {}) };
    });
  }

  async markTranscriptPurged(purged: CallRecord, purgedAt: string): Promise<boolean> {
    await this.migrate();
    const result = await this.pool.query(
      'UPDATE call_records SET record = $1, transcript_purged_at = $2, updated_at = now() WHERE call_sid = $3 AND transcript_purged_at IS NULL',
      [JSON.stringify(purged), purgedAt, purged.callSid],
    );
    return (result.rowCount ?? 0) > 0;
  }

  async markRecordingOnlyPurged(callSid: string, purgedAt: string): Promise<boolean> {
    await this.migrate();
    const result = await this.pool.query('UPDATE call_records SET transcript_purged_at = $2, updated_at = now() WHERE call_sid = $1 AND record IS NULL AND transcript_purged_at IS NULL', [callSid, purgedAt]);
    return (result.rowCount ?? 0) > 0;
  }

  async delete(callSid: string): Promise<boolean> {
    await this.migrate();
    const result = await this.pool.query('DELETE FROM call_records WHERE call_sid = $1', [callSid]);
    await this.deleteOutboxRowsOf(callSid);
    return (result.rowCount ?? 0) > 0;
  }

  async erase(callSid: string): Promise<boolean> {
    await this.migrate();
    const result = await this.pool.query(`UPDATE call_records SET ${ERASED_ROW_SET}, erased_at = now(), updated_at = now() WHERE call_sid = $1 AND erased_at IS NULL`, [callSid]);
    await this.deleteOutboxRowsOf(callSid);
    return (result.rowCount ?? 0) > 0;
  }

  /** Pending or given-up webhook deliveries about the call (they hold its record). */
  private async deleteOutboxRowsOf(callSid: string): Promise<void> {
    await this.pool.query(`DELETE FROM outbox WHERE body LIKE $1 ESCAPE '\\'`, [outboxBodyPattern(callSid)]);
  }

  async purgeOutbox(cutoff: string): Promise<number> {
    await this.migrate();
    return (await this.pool.query('DELETE FROM outbox WHERE created_at < $1', [cutoff])).rowCount ?? 0;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  // ---- outbox ---------------------------------------------------------------------------

  async enqueue(message: OutboxMessage): Promise<void> {
    await this.migrate();
    await this.pool.query(
      `INSERT INTO outbox (id, event_type, destination, signer, body, status, attempts, next_attempt_at, created_at)
       VALUES ($1, $2, $3, $4, $5, 'pending', 0, now(), now()) ON CONFLICT (id) DO NOTHING`,
      [message.id, message.type, message.destination, message.signer, message.body],
    );
  }

  async claimDue(limit: number, leaseMs: number): Promise<OutboxDelivery[]> {
    await this.migrate();
    // SKIP LOCKED: instances claiming at the same moment take different rows instead of waiting.
    const { rows } = await this.pool.query<OutboxRecord>(
      `UPDATE outbox SET attempts = attempts + 1, next_attempt_at = now() + $2 * interval '1 millisecond'
       WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= now()
                    ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [limit, leaseMs],
    );
    return rows.map((row) => ({ ...messageOf(row), attempt: row.attempts, createdAt: row.created_at.toISOString() }));
  }

  async delivered(id: string): Promise<void> {
    await this.pool.query('DELETE FROM outbox WHERE id = $1', [id]);
  }

  async retryLater(id: string, delayMs: number, error: string): Promise<void> {
    await this.pool.query(
      `UPDATE outbox SET next_attempt_at = now() + $2 * interval '1 millisecond', last_error = $3 WHERE id = $1 AND status = 'pending'`,
      [id, delayMs, error],
    );
  }

  async giveUp(id: string, error: string): Promise<void> {
    await this.pool.query(`UPDATE outbox SET status = 'failed', last_error = $2 WHERE id = $1`, [id, error]);
  }

  async release(ids: string[], delayMs = 0): Promise<void> {
    if (ids.length === 0) return;
    await this.pool.query(
      `UPDATE outbox SET next_attempt_at = now() + $2 * interval '1 millisecond', attempts = greatest(attempts - 1, 0) WHERE id = ANY($1) AND status = 'pending'`,
      [ids, delayMs],
    );
  }

  async find(id: string): Promise<OutboxRow | undefined> {
    await this.migrate();
    const { rows } = await this.pool.query<OutboxRecord>('SELECT * FROM outbox WHERE id = $1', [id]);
    const row = rows[0];
    if (!row) return undefined;
    return { ...messageOf(row), status: row.status, attempts: row.attempts, nextAttemptAt: row.next_attempt_at.toISOString(), lastError: row.last_error ?? undefined };
  }

  private async runMigrations(): Promise<void> {
    const client: PoolClient = await this.pool.connect();
    let failure: Error | undefined;
    try {
      await client.query('BEGIN');
      // One migrator at a time across replicas.
      await client.query("SELECT pg_advisory_xact_lock(hashtext('voice_gateway_call_record_migrations'))");
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${this.options.schema}`);
      await client.query(
        'CREATE TABLE IF NOT EXISTS call_record_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
      );
      const { rows } = await client.query<{ version: number }>('SELECT version FROM call_record_migrations');
      const applied = new Set(rows.map((row) => row.version));
      for (const migration of MIGRATIONS) {
        if (applied.has(migration.version)) continue;
        for (const sql of migration.sql) await client.query(sql.replaceAll('{json}', 'jsonb').replaceAll('{time}', 'timestamptz'));
        await client.query('INSERT INTO call_record_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
      }
      await client.query('COMMIT');
    } catch (error) {
      failure = error as Error;
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      // A client that failed is destroyed rather than returned to the pool.
      client.release(failure);
    }
  }
}

function messageOf(row: OutboxRecord): OutboxMessage {
  return { id: row.id, type: row.event_type, destination: row.destination, signer: row.signer, body: row.body };
}
