import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import { CALL_RECORDS_OPTIONS } from '../call-records.module-definition';
import type { CallRecordsModuleOptions } from '../call-records.module-definition';
import type { CallRecord } from '../record/call-record';
import { CallRecordStore } from '../store/call-record.store';
import type { RetentionScope } from '../store/call-record.store';
import { CALL_RECORDING_ERASER, recordingSidOf } from './call-recording-eraser';
import type { CallRecordingEraser } from './call-recording-eraser';

/** How long records are kept, and what goes when they are older. */
export interface RetentionOptions {
  /** Records whose call started more than this many days ago are purged. */
  days: number;
  /** `transcript`: blank transcripts and tool-call arguments/results, keep the rest; `record`: delete the rows. */
  scope: RetentionScope;
  /** How often each instance runs the job. */
  intervalMs: number;
  /** The first run after start. */
  initialDelayMs: number;
}

/** Rows read per batch. */
export const RETENTION_BATCH_SIZE = 200;
/** Batches per run at most: a huge backlog is worked off over several runs, never in one long one. */
const MAX_BATCHES_PER_RUN = 50;

/** What one run did. */
export interface RetentionRun {
  purged: number;
  recordingsErased: number;
  /** Records left for the next run because their recording could not be erased. */
  deferred: number;
  outboxRowsDeleted: number;
}

/** What a purged tool call's error says instead of its text. */
export const PURGED_ERROR = 'failed (details removed by retention)';

/** What `record` keeps of a purged transcript: nothing said, nothing passed to or from a tool. */
export function purgedRecord(record: CallRecord, purgedAt: string, recordingErased: boolean): CallRecord {
  const purged: CallRecord = {
    ...record,
    transcript: [],
    // A failed call stays marked as failed; its error text (which may quote the caller) goes.
    toolCalls: record.toolCalls.map(({ name, error, startedAt, durationMs }) => ({ name, arguments: null, ...(error !== undefined ? { error: PURGED_ERROR } : {}), startedAt, durationMs })),
    transcriptPurgedAt: purgedAt,
  };
  // Text written from the conversation goes with it: the analysis keeps its verdict, not its words.
  if (record.analysis) {
    const { summary: _summary, fields: _fields, ...verdict } = record.analysis;
    purged.analysis = { ...verdict, summary: '' };
  }
  if (record.transfer?.summary !== undefined) {
    const { summary: _summary, ...transfer } = record.transfer;
    purged.transfer = transfer;
  }
  const recording = (record as { recording?: Record<string, unknown> }).recording;
  if (recordingErased && recording) (purged as { recording?: Record<string, unknown> }).recording = { ...recording, deletedAt: purgedAt };
  return purged;
}

/**
 * The retention job (CALL_RECORD_RETENTION_DAYS): on every instance, shortly after start and then
 * every interval, purges records older than the period, in batches. Idempotent and safe when
 * instances run it at once (a transcript is marked purged by one of them; deleting a deleted row
 * does nothing). A recording is erased (CALL_RECORDING_ERASER, when provided) before its record is
 * purged; a failure leaves that record for the next run.
 */
@Injectable()
export class CallRecordRetention implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(CallRecordRetention.name);
  private readonly options?: RetentionOptions;
  private firstRun?: NodeJS.Timeout;
  private interval?: NodeJS.Timeout;
  private running?: Promise<RetentionRun>;
  /** Totals since start, for metrics: records purged (by scope), recordings erased, erasures that failed. */
  readonly totals = { purged: 0, recordingsErased: 0, erasuresFailed: 0, runs: 0, failedRuns: 0 };

  constructor(
    private readonly store: CallRecordStore,
    @Inject(CALL_RECORDS_OPTIONS) options: CallRecordsModuleOptions,
    @Optional() @Inject(CALL_RECORDING_ERASER) private readonly eraser?: CallRecordingEraser,
  ) {
    this.options = options.retention;
  }

  get scope(): RetentionScope | undefined {
    return this.options?.scope;
  }

  onApplicationBootstrap(): void {
    const options = this.options;
    if (!options) return;
    this.firstRun = setTimeout(() => void this.runSafely(), options.initialDelayMs);
    this.firstRun.unref();
    this.interval = setInterval(() => void this.runSafely(), options.intervalMs);
    this.interval.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearTimeout(this.firstRun);
    clearInterval(this.interval);
    await this.running?.catch(() => undefined);
  }

  /** One run now (a run already under way is joined, not doubled). Rejects when the database fails. */
  run(now = Date.now()): Promise<RetentionRun> {
    if (!this.options) return Promise.resolve({ purged: 0, recordingsErased: 0, deferred: 0, outboxRowsDeleted: 0 });
    if (!this.running) this.running = this.purge(this.options, now).finally(() => (this.running = undefined));
    return this.running;
  }

  /**
   * Erases the record's recording, if it has one and an eraser is provided. False when erasing failed
   * (logged; the caller keeps the record for a later attempt).
   */
  async eraseRecording(callSid: string, record: CallRecord | undefined, twilioRecordingSid?: string): Promise<{ erased: boolean; ok: boolean }> {
    const recordingSid = recordingSidOf(record) ?? twilioRecordingSid;
    if (!recordingSid || !this.eraser) return { erased: false, ok: true };
    try {
      await this.eraser.erase(callSid, recordingSid);
      this.totals.recordingsErased++;
      return { erased: true, ok: true };
    } catch (error) {
      this.totals.erasuresFailed++;
      this.logger.warn(`could not erase the recording ${recordingSid} of ${callSid} (retried later): ${error instanceof Error ? error.message : String(error)}`);
      return { erased: false, ok: false };
    }
  }

  private async runSafely(): Promise<void> {
    try {
      await this.run();
    } catch (error) {
      this.totals.failedRuns++;
      this.logger.warn(`call record retention run failed (retried next interval): ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private async purge(options: RetentionOptions, now: number): Promise<RetentionRun> {
    const cutoff = new Date(now - options.days * 86_400_000).toISOString();
    const run: RetentionRun = { purged: 0, recordingsErased: 0, deferred: 0, outboxRowsDeleted: 0 };
    for (let batch = 0; batch < MAX_BATCHES_PER_RUN; batch++) {
      const rows = await this.store.expired(cutoff, options.scope, RETENTION_BATCH_SIZE);
      let progressed = 0;
      for (const row of rows) {
        const recording = await this.eraseRecording(row.callSid, row.record, row.twilioRecordingSid);
        if (!recording.ok) {
          run.deferred++;
          continue;
        }
        if (recording.erased) run.recordingsErased++;
        const purgedAt = new Date(now).toISOString();
        const done =
          options.scope === 'record'
            ? await this.store.delete(row.callSid)
            : row.record
              ? await this.store.markTranscriptPurged(purgedRecord(row.record, purgedAt, recording.erased), purgedAt)
              : await this.store.markRecordingOnlyPurged(row.callSid, purgedAt);
        progressed++;
        if (done) run.purged++;
      }
      if (rows.length < RETENTION_BATCH_SIZE || progressed === 0) break;
    }
    // Deliveries older than the period still carry records (and their transcripts).
    run.outboxRowsDeleted = await this.store.purgeOutbox(cutoff);
    this.totals.purged += run.purged;
    this.totals.runs++;
    if (run.purged > 0 || run.deferred > 0 || run.outboxRowsDeleted > 0) {
      this.logger.log(
        `call record retention (${options.days} days, ${options.scope}): ${run.purged} purged, ${run.recordingsErased} recordings erased, ` +
          `${run.deferred} deferred, ${run.outboxRowsDeleted} old outbox rows deleted`,
      );
    }
    return run;
  }
}
