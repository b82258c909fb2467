import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CallRecordsModuleOptions } from '../call-records.module-definition';
import { record } from '../../../../test/support/call-record-store.contract';
import type { CallRecord } from '../record/call-record';
import { CallRecordStore } from '../store/call-record.store';
import { CallRecordWriter } from './call-record.writer';

/** A store whose availability the test switches. */
class FlakyStore extends CallRecordStore {
  readonly kind = 'flaky';
  up = true;
  attempts = 0;
  readonly saved = new Map<string, CallRecord>();
  async migrate(): Promise<void> {}
  async save(r: CallRecord): Promise<void> {
    this.attempts++;
    if (!this.up) throw new Error('connection refused');
    this.saved.set(r.callSid, r);
  }
  async saveTwilioStatus(): Promise<boolean> {
    return true;
  }
  async get(callSid: string) {
    return this.saved.get(callSid);
  }
  async list() {
    return { total: 0, limit: 0, offset: 0, items: [] };
  }
  async expired() {
    return [];
  }
  async markTranscriptPurged() {
    return false;
  }
  async markRecordingOnlyPurged() {
    return false;
  }
  async delete() {
    return false;
  }
  async erase() {
    return false;
  }
  async twilioStatusOf() {
    return undefined;
  }
  async purgeOutbox() {
    return 0;
  }
  async close(): Promise<void> {}
}

const config = { retryInitialMs: 20 } as CallRecordsModuleOptions;

describe('CallRecordWriter', () => {
  let writer: CallRecordWriter | undefined;
  afterEach(async () => {
    await writer?.shutdown();
    writer = undefined;
  });

  it('writes off the caller: submit returns at once and the record lands soon after', async () => {
    const store = new FlakyStore();
    writer = new CallRecordWriter(store, config);
    writer.submit(record('CA1'));
    expect(store.attempts).toBe(0);
    await vi.waitFor(() => expect(store.saved.get('CA1')).toBeDefined());
    expect(writer.backlog).toBe(0);
  });

  it('keeps records while the database is down, retries with backoff, and writes the newest snapshot once it is back', async () => {
    const store = new FlakyStore();
    store.up = false;
    writer = new CallRecordWriter(store, config);
    writer.submit(record('CA2', { status: 'in-progress', revision: 1 }));
    writer.submit(record('CA3'));
    await vi.waitFor(() => expect(store.attempts).toBeGreaterThanOrEqual(3), { timeout: 5000 });
    writer.submit(record('CA2', { revision: 2 }));
    expect(writer.backlog).toBe(2);
    store.up = true;
    await vi.waitFor(() => expect(writer!.backlog).toBe(0), { timeout: 5000 });
    expect(store.saved.get('CA2')?.revision).toBe(2);
    expect(store.saved.get('CA3')).toBeDefined();
  });
});
