/**
 * Schema migrations, applied in order and recorded in `call_record_migrations`. Never edit a
 * released migration: add a new one. `{json}` and `{time}` are the dialect's column types.
 */
export const MIGRATIONS: { version: number; name: string; sql: string[] }[] = [
  {
    version: 1,
    name: 'call_records',
    sql: [
      `CREATE TABLE IF NOT EXISTS call_records (
        call_sid text PRIMARY KEY,
        revision integer NOT NULL DEFAULT 0,
        started_at {time},
        ended_at {time},
        from_number text,
        to_number text,
        end_reason text,
        status text,
        record {json},
        twilio_status {json},
        updated_at {time} NOT NULL
      )`,
      'CREATE INDEX IF NOT EXISTS call_records_started_at ON call_records (started_at DESC, call_sid DESC)',
      'CREATE INDEX IF NOT EXISTS call_records_from_number ON call_records (from_number)',
      'CREATE INDEX IF NOT EXISTS call_records_to_number ON call_records (to_number)',
      'CREATE INDEX IF NOT EXISTS call_records_end_reason ON call_records (end_reason)',
    ],
  },
  {
    version: 2,
    name: 'outbox',
    sql: [
      // Webhook deliveries waiting to be made: any instance claims due rows (a claim pushes
      // next_attempt_at forward by a lease), delivered rows are deleted, given-up rows stay as failed.
      `CREATE TABLE IF NOT EXISTS outbox (
        id text PRIMARY KEY,
        event_type text NOT NULL,
        destination text NOT NULL,
        signer text NOT NULL,
        body text NOT NULL,
        status text NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at {time} NOT NULL,
        last_error text,
        created_at {time} NOT NULL
      )`,
      'CREATE INDEX IF NOT EXISTS outbox_due ON outbox (status, next_attempt_at)',
    ],
  },
  {
    version: 3,
    name: 'retention',
    sql: [
      // Set when the retention job blanked the record's transcript: the job skips such rows.
      'ALTER TABLE call_records ADD COLUMN transcript_purged_at {time}',
      'CREATE INDEX IF NOT EXISTS outbox_created_at ON outbox (created_at)',
    ],
  },
  {
    version: 4,
    name: 'erasure',
    sql: [
      // Set when the call was erased on request (DELETE /calls/:sid): the row keeps only its CallSid
      // and this time, so a late write (Twilio's status callbacks, another instance's last snapshot)
      // cannot bring the record back. Retention removes such rows like any other.
      'ALTER TABLE call_records ADD COLUMN erased_at {time}',
    ],
  },
];
