import type { TwilioCallStatus } from '@app/telephony';
import type { CallRecord } from '../record/call-record';

export interface CallRecordQuery {
  /** Started at or after (ISO-8601). */
  startedAfter?: string;
  /** Started before (ISO-8601). */
  startedBefore?: string;
  /** Matches the caller or the called number. */
  number?: string;
  from?: string;
  to?: string;
  endReason?: string;
  status?: CallRecord['status'];
  limit: number;
  offset: number;
}

/** A page of records, newest first, without their transcripts and tool calls. */
export interface CallRecordPage {
  total: number;
  limit: number;
  offset: number;
  items: CallRecordSummary[];
}

export type CallRecordSummary = Omit<CallRecord, 'transcript' | 'toolCalls'> & { turns: number; toolCallCount: number };

/** What the retention job removes from old records: their transcripts (and tool-call data), or the whole rows. */
export type RetentionScope = 'transcript' | 'record';

/** A row the retention job has to handle; `record` is absent for a row holding only Twilio's status. */
export interface ExpiredRecord {
  callSid: string;
  record?: CallRecord;
  /** The call's recording as only Twilio's recording callback stored it (a row whose record has none, or none at all). */
  twilioRecordingSid?: string;
}

/** The recording SID in a row's stored Twilio status, when its record does not name a recording itself. */
export function twilioOnlyRecordingSid(record: CallRecord | null | undefined, twilioStatus: unknown): string | undefined {
  if ((record as { recording?: unknown } | null | undefined)?.recording !== undefined) return undefined;
  const sid = (twilioStatus as { recording?: { sid?: unknown } } | null | undefined)?.recording?.sid;
  return typeof sid === 'string' ? sid : undefined;
}

/**
 * Where call records live (the port the recorder and the API depend on). Adapters create their
 * schema themselves before the first use and may be called again after a failure.
 */
export abstract class CallRecordStore {
  /** Human-readable name for logs ("postgresql", "sqlite"). */
  abstract readonly kind: string;
  /** Runs pending migrations; safe to call repeatedly and concurrently. */
  abstract migrate(): Promise<void>;
  /** Inserts or updates the record; an older revision never overwrites a newer one, and nothing overwrites a purged or erased one. */
  abstract save(record: CallRecord): Promise<void>;
  /** Merges a Twilio status callback into the call's row (the row may not exist yet); false when the call was erased (nothing stored). */
  abstract saveTwilioStatus(callSid: string, status: TwilioCallStatus): Promise<boolean>;
  /** The record with Twilio's status folded in, or undefined. */
  abstract get(callSid: string): Promise<CallRecord | undefined>;
  /** What Twilio's callbacks stored for the call, with or without a record (undefined: nothing, or erased). */
  abstract twilioStatusOf(callSid: string): Promise<TwilioCallStatus | undefined>;
  abstract list(query: CallRecordQuery): Promise<CallRecordPage>;
  /**
   * Up to `limit` rows older than `cutoff` (ISO-8601) the retention job still has to handle, oldest
   * first: for `transcript`, records started before it and not purged yet, and rows only Twilio's
   * callbacks wrote that hold a recording (last updated before it); for `record`, every row
   * started (or, without a record, last updated) before it.
   */
  abstract expired(cutoff: string, scope: RetentionScope, limit: number): Promise<ExpiredRecord[]>;
  /** Marks a row without a record (only Twilio's callbacks wrote it) purged once its recording is erased; false when it already was. */
  abstract markRecordingOnlyPurged(callSid: string, purgedAt: string): Promise<boolean>;
  /** Stores the purged record and marks the row purged; false when it already was (another instance won). */
  abstract markTranscriptPurged(purged: CallRecord, purgedAt: string): Promise<boolean>;
  /** Deletes the call's row and every outbox row (pending or failed) about the call; false when there was no row. */
  abstract delete(callSid: string): Promise<boolean>;
  /**
   * Erases the call on request: its outbox rows go, and its row keeps only the CallSid and the time
   * (`erased_at`), so nothing written later for the call (a snapshot, a Twilio status) is stored.
   * False when there was no row, or it was already erased.
   */
  abstract erase(callSid: string): Promise<boolean>;
  /** Deletes outbox rows created before `cutoff` (old deliveries still hold records' transcripts); returns how many. */
  abstract purgeOutbox(cutoff: string): Promise<number>;
  abstract close(): Promise<void>;
}

/** What an erased row loses: everything but its CallSid (the stores add `erased_at` and `updated_at`). */
export const ERASED_ROW_SET =
  'record = NULL, twilio_status = NULL, revision = 0, started_at = NULL, ended_at = NULL, from_number = NULL, to_number = NULL, ' +
  'end_reason = NULL, status = NULL, transcript_purged_at = NULL';

/** LIKE pattern matching an outbox body about the call (its JSON carries `"callSid":"<sid>"`), `\\` escaping. */
export function outboxBodyPattern(callSid: string): string {
  return '%' + JSON.stringify({ callSid }).slice(1, -1).replace(/[\\%_]/g, (c) => '\\' + c) + '%';
}

export function summarize(record: CallRecord): CallRecordSummary {
  const { transcript, toolCalls, ...rest } = record;
  return { ...rest, turns: transcript.length, toolCallCount: toolCalls.length };
}

/**
 * The indexed columns of a record row plus the JSON document, in the order both adapters' upserts
 * take them: call_sid, revision, started_at, ended_at, from_number, to_number, end_reason, status, record.
 */
export function recordRowValues(record: CallRecord): Array<string | number | null> {
  return [
    record.callSid,
    record.revision,
    record.startedAt,
    record.endedAt ?? null,
    record.from ?? null,
    record.to ?? null,
    record.endReason ?? null,
    record.status,
    JSON.stringify(record),
  ];
}
