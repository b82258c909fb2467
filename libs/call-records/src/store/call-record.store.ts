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

/**
 * Where call records live (the port the recorder and the API depend on). Adapters create their
 * schema themselves before the first use and may be called again after a failure.
 */
export abstract class CallRecordStore {
  /** Human-readable name for logs ("postgresql", "sqlite"). */
  abstract readonly kind: string;
  /** Runs pending migrations; safe to call repeatedly and concurrently. */
  abstract migrate(): Promise<void>;
  /** Inserts or updates the record; an older revision never overwrites a newer one. */
  abstract save(record: CallRecord): Promise<void>;
  /** Merges a Twilio status callback into the call's row (the row may not exist yet). */
  abstract saveTwilioStatus(callSid: string, status: TwilioCallStatus): Promise<void>;
  /** The record with Twilio's status folded in, or undefined. */
  abstract get(callSid: string): Promise<CallRecord | undefined>;
  abstract list(query: CallRecordQuery): Promise<CallRecordPage>;
  abstract close(): Promise<void>;
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
