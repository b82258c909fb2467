import { Inject, Injectable, Logger } from '@nestjs/common';
import { CALL_RECORDS_OPTIONS } from '../call-records.module-definition';
import type { CallRecordsModuleOptions } from '../call-records.module-definition';
import type { CallRecord } from '../record/call-record';
import { CallRecordStore } from '../store/call-record.store';
import { backoffDelay } from './backoff';

/** Records kept in memory while the database is unreachable; beyond this the oldest checkpoints go first. */
const MAX_PENDING = 10_000;

/**
 * Persists records off the call's path: `submit()` only stores the latest snapshot per call in
 * memory; a single background loop writes them, and while the database fails it keeps them and
 * retries with exponential backoff. Nothing here ever throws into a call.
 */
@Injectable()
export class CallRecordWriter {
  private readonly logger = new Logger(CallRecordWriter.name);
  private readonly pending = new Map<string, CallRecord>();
  private flushing?: Promise<void>;
  private retryTimer?: NodeJS.Timeout;
  private failures = 0;
  private closed = false;

  constructor(
    private readonly store: CallRecordStore,
    @Inject(CALL_RECORDS_OPTIONS) private readonly config: CallRecordsModuleOptions,
  ) {}

  /** Records waiting to be written. */
  get backlog(): number {
    return this.pending.size;
  }

  submit(record: CallRecord): void {
    this.pending.delete(record.callSid);
    this.pending.set(record.callSid, record);
    if (this.pending.size > MAX_PENDING) this.dropOldestCheckpoint();
    if (!this.retryTimer && !this.flushing && !this.closed) setImmediate(() => void this.flush());
  }

  /** Drops the call's unwritten snapshot (its record is being deleted). */
  discard(callSid: string): void {
    this.pending.delete(callSid);
  }

  /** Writes everything pending once (no-op while a flush runs or a retry is scheduled). */
  flush(): Promise<void> {
    if (!this.flushing) {
      this.flushing = this.writePending().finally(() => (this.flushing = undefined));
    }
    return this.flushing;
  }

  /** Last attempt at what is pending, then closes the store (called by CallRecorder at shutdown). */
  async shutdown(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    // A pass already under way may leave newer snapshots behind: a few more passes, unless failing.
    for (let pass = 0; pass < 3 && this.pending.size > 0; pass++) {
      const failuresBefore = this.failures;
      await this.flush();
      if (this.failures > failuresBefore) break;
    }
    if (this.pending.size > 0) this.logger.error(`${this.pending.size} call record(s) could not be written before shutdown`);
    await this.store.close().catch(() => undefined);
  }

  private async writePending(): Promise<void> {
    for (const [callSid, record] of this.pending) {
      try {
        await this.store.save(record);
      } catch (error) {
        this.failures++;
        if (this.failures === 1 || this.failures % 10 === 0) {
          this.logger.warn(`cannot write call records to ${this.store.kind} (${this.pending.size} waiting, attempt ${this.failures}): ${describe(error)}`);
        }
        if (!this.closed) {
          const delay = backoffDelay(this.config.retryInitialMs, this.failures);
          this.retryTimer = setTimeout(() => {
            this.retryTimer = undefined;
            void this.flush();
          }, delay);
        }
        return;
      }
      if (this.pending.get(callSid) === record) this.pending.delete(callSid);
      if (this.failures > 0) {
        this.logger.log(`${this.store.kind} is writable again after ${this.failures} failed attempt(s)`);
        this.failures = 0;
      }
    }
    // Snapshots submitted while this pass ran are written by another pass.
    if (this.pending.size > 0 && !this.closed) setImmediate(() => void this.flush());
  }

  private dropOldestCheckpoint(): void {
    for (const [callSid, record] of this.pending) {
      if (record.status === 'in-progress') {
        this.pending.delete(callSid);
        return;
      }
    }
    const [oldest] = this.pending.keys();
    this.pending.delete(oldest);
    this.logger.error(`call record backlog full: dropped the record of ${oldest}`);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
