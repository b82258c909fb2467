import { afterAll, beforeAll, expect, it } from 'vitest';
import type { CallRecord } from '../../libs/call-records/src/record/call-record';
import { emptyUsage } from '../../libs/call-records/src/record/cost';
import type { CallRecordStore } from '../../libs/call-records/src/store/call-record.store';
import type { OutboxStore } from '../../libs/call-records/src/outbox/outbox.store';

export interface StoreUnderTest {
  store: CallRecordStore;
  /** A second store on the same database (another replica, or a restart). */
  reopen(): CallRecordStore;
  cleanup(): Promise<void>;
}

export function record(callSid: string, overrides: Partial<CallRecord> = {}): CallRecord {
  return {
    callSid,
    streamSid: 'MZ' + callSid.slice(2),
    direction: 'inbound',
    from: '+15550000001',
    to: '+15550000002',
    assistantProfile: 'default',
    status: 'completed',
    startedAt: '2026-11-24T10:00:00.000Z',
    endedAt: '2026-11-24T10:01:00.000Z',
    durationMs: 60000,
    endReason: 'caller-hung-up',
    transcript: [
      { role: 'assistant', itemId: 'item_1', at: '2026-11-24T10:00:01.000Z', text: 'Hello, how can I help?' },
      { role: 'caller', itemId: 'item_2', at: '2026-11-24T10:00:03.000Z', text: "What's the weather – in Zürich?" },
    ],
    toolCalls: [{ name: 'get_weather', arguments: { city: 'Zürich' }, result: { c: 4 }, startedAt: '2026-11-24T10:00:04.000Z', durationMs: 120 }],
    usage: { ...emptyUsage(), responses: 2, inputTokens: 100, outputTokens: 50, totalTokens: 150 },
    cost: { currency: 'USD', total: 0.01, breakdown: { inputText: 0, inputAudio: 0.005, cachedInput: 0, outputText: 0, outputAudio: 0.005, transcription: 0 } },
    revision: 1,
    ...overrides,
  };
}

/** The behaviour every CallRecordStore adapter must have; run once per adapter. */
export function callRecordStoreContract(open: () => Promise<StoreUnderTest>): void {
  let subject: StoreUnderTest;
  let store: CallRecordStore;
  beforeAll(async () => {
    subject = await open();
    store = subject.store;
    await store.migrate();
  });
  afterAll(async () => {
    await store?.close();
    await subject?.cleanup();
  });

  it('round-trips a whole record, unicode included', async () => {
    const saved = record('CA0001');
    await store.save(saved);
    expect(await store.get('CA0001')).toEqual(saved);
    expect(await store.get('CA-missing')).toBeUndefined();
  });

  it('migrates idempotently, also from a second instance (another replica or a restart)', async () => {
    await store.migrate();
    const other = subject.reopen();
    try {
      await Promise.all([other.migrate(), other.migrate()]);
      expect(await other.get('CA0001')).toEqual(record('CA0001'));
    } finally {
      await other.close();
    }
  });

  it('replaces a checkpoint with a newer revision and never goes back to an older one', async () => {
    await store.save(record('CA0002', { status: 'in-progress', endedAt: undefined, endReason: undefined, revision: 1 }));
    await store.save(record('CA0002', { revision: 3, endReason: 'openai-failed' }));
    await store.save(record('CA0002', { status: 'in-progress', revision: 2 }));
    const stored = await store.get('CA0002');
    expect(stored?.revision).toBe(3);
    expect(stored?.status).toBe('completed');
    expect(stored?.endReason).toBe('openai-failed');
  });

  it('keeps values that look like SQL as plain data (parameterised queries)', async () => {
    const sneaky = "'); DROP TABLE call_records; --";
    await store.save(record('CA0003', { from: sneaky }));
    const page = await store.list({ from: sneaky, limit: 10, offset: 0 });
    expect(page.items.map((item) => item.callSid)).toEqual(['CA0003']);
    expect((await store.get('CA0003'))?.from).toBe(sneaky);
  });

  it('lists newest first, paged, as summaries, filtered by time, number, end reason and status', async () => {
    for (let i = 0; i < 5; i++) {
      await store.save(
        record(`CA10${i}`, {
          startedAt: `2025-11-2${i}T12:00:00.000Z`,
          from: i % 2 === 0 ? '+15551110000' : '+15552220000',
          to: '+15553330000',
          endReason: i === 4 ? 'server-shutdown' : 'caller-hung-up',
          status: i === 3 ? 'in-progress' : 'completed',
        }),
      );
    }
    const base = { limit: 10, offset: 0, startedAfter: '2025-11-20T00:00:00Z', startedBefore: '2025-12-01T00:00:00Z' };
    const all = await store.list(base);
    expect(all.total).toBe(5);
    expect(all.items.map((item) => item.callSid)).toEqual(['CA104', 'CA103', 'CA102', 'CA101', 'CA100']);
    expect(all.items[0]).not.toHaveProperty('transcript');
    expect(all.items[0]).toMatchObject({ turns: 2, toolCallCount: 1, usage: { totalTokens: 150 } });

    const page2 = await store.list({ ...base, limit: 2, offset: 2 });
    expect(page2).toMatchObject({ total: 5, limit: 2, offset: 2 });
    expect(page2.items.map((item) => item.callSid)).toEqual(['CA102', 'CA101']);

    const window = await store.list({ ...base, startedAfter: '2025-11-21T00:00:00Z', startedBefore: '2025-11-23T12:00:00Z' });
    expect(window.items.map((item) => item.callSid)).toEqual(['CA102', 'CA101']);
    expect((await store.list({ ...base, number: '+15552220000' })).items.map((item) => item.callSid)).toEqual(['CA103', 'CA101']);
    expect((await store.list({ ...base, number: '+15553330000' })).total).toBe(5);
    expect((await store.list({ ...base, from: '+15551110000', endReason: 'server-shutdown' })).items.map((i) => i.callSid)).toEqual(['CA104']);
    expect((await store.list({ ...base, status: 'in-progress' })).items.map((i) => i.callSid)).toEqual(['CA103']);
    expect((await store.list({ ...base, endReason: 'nothing-like-this' })).total).toBe(0);
  });

  it("folds Twilio's status callbacks in, whether they arrive before or after the record", async () => {
    await store.saveTwilioStatus('CA0004', { answeredAt: '2026-11-24T09:59:58.000Z' });
    await store.saveTwilioStatus('CA0004', { status: 'completed', endedAt: '2026-11-24T10:01:02.000Z', durationSec: 64 });
    expect(await store.get('CA0004')).toBeUndefined();
    expect((await store.list({ limit: 100, offset: 0 })).items.map((i) => i.callSid)).not.toContain('CA0004');

    await store.save(record('CA0004'));
    const reconciled = await store.get('CA0004');
    expect(reconciled).toMatchObject({
      answeredAt: '2026-11-24T09:59:58.000Z',
      endedAt: '2026-11-24T10:01:02.000Z',
      durationMs: 64000,
      twilio: { status: 'completed', durationSec: 64 },
    });

    await store.save(record('CA0005'));
    await store.saveTwilioStatus('CA0005', { status: 'completed', endedAt: '2026-11-24T10:01:01.000Z', durationSec: 61 });
    await store.save(record('CA0005', { revision: 2 }));
    expect(await store.get('CA0005')).toMatchObject({ durationMs: 61000, revision: 2, twilio: { durationSec: 61 } });
  });

  it('finds records past the retention cutoff, marks transcripts purged once, deletes rows with their outbox rows', async () => {
    const old = (sid: string) => record(sid, { startedAt: '2020-01-01T00:00:00.000Z', endedAt: '2020-01-01T00:01:00.000Z' });
    await store.save(old('CARET01'));
    await store.save(old('CARET02'));
    await store.save(record('CARET03', { startedAt: '2099-01-01T00:00:00.000Z' }));
    const cutoff = '2021-01-01T00:00:00.000Z';
    const expired = await store.expired(cutoff, 'transcript', 10);
    expect(expired.map((row) => row.callSid)).toEqual(['CARET01', 'CARET02']);
    expect(expired[0].record?.transcript).toHaveLength(2);
    expect((await store.expired(cutoff, 'transcript', 1)).map((row) => row.callSid)).toEqual(['CARET01']);

    const purged = { ...old('CARET01'), transcript: [], toolCalls: [], transcriptPurgedAt: '2026-12-01T00:00:00.000Z' };
    expect(await store.markTranscriptPurged(purged, purged.transcriptPurgedAt)).toBe(true);
    // A second instance running the job at the same moment finds it done.
    expect(await store.markTranscriptPurged(purged, purged.transcriptPurgedAt)).toBe(false);
    expect(await store.get('CARET01')).toMatchObject({ transcript: [], toolCalls: [], usage: { totalTokens: 150 }, cost: { total: 0.01 } });
    // A late write (an analysis that read the record before the purge) cannot bring the transcript back.
    await store.save({ ...old('CARET01'), revision: 99 });
    expect(await store.get('CARET01')).toMatchObject({ transcript: [], transcriptPurgedAt: purged.transcriptPurgedAt });
    expect((await store.expired(cutoff, 'transcript', 10)).map((row) => row.callSid)).toEqual(['CARET02']);
    expect((await store.expired(cutoff, 'record', 10)).map((row) => row.callSid)).toEqual(expect.arrayContaining(['CARET01', 'CARET02']));

    const outbox = store as unknown as OutboxStore;
    await outbox.enqueue({ id: 'del-1', type: 'call.record', destination: 'http://127.0.0.1:1/', signer: 'call.record', body: JSON.stringify(old('CARET02')) });
    await outbox.enqueue({ id: 'del-2', type: 'call.record', destination: 'http://127.0.0.1:1/', signer: 'call.record', body: JSON.stringify(record('CARET03')) });
    expect(await store.delete('CARET02')).toBe(true);
    expect(await store.delete('CARET02')).toBe(false);
    expect(await store.get('CARET02')).toBeUndefined();
    expect(await outbox.find('del-1')).toBeUndefined();
    expect(await outbox.find('del-2')).toBeDefined();
    // Outbox rows older than the cutoff go; newer ones stay.
    expect(await store.purgeOutbox('2000-01-01T00:00:00.000Z')).toBe(0);
    expect(await store.purgeOutbox('2999-01-01T00:00:00.000Z')).toBeGreaterThanOrEqual(1);
    expect(await outbox.find('del-2')).toBeUndefined();

    // A row that only Twilio's recording callback wrote (its record never was): the recording is
    // still found, so the retention job can erase it before the row goes.
    await store.saveTwilioStatus('CARET09', { recording: { sid: 'RE' + '9'.repeat(32), url: '', channels: 2, status: 'completed' } } as never);
    const orphan = (await store.expired('2999-01-01T00:00:00.000Z', 'record', 50)).find((row) => row.callSid === 'CARET09');
    expect(orphan).toMatchObject({ callSid: 'CARET09', twilioRecordingSid: 'RE' + '9'.repeat(32) });
    expect(orphan?.record).toBeUndefined();
    // The transcript scope finds it too (its recording goes with transcripts), and marks it done once.
    const forTranscripts = (await store.expired('2999-01-01T00:00:00.000Z', 'transcript', 50)).find((row) => row.callSid === 'CARET09');
    expect(forTranscripts).toEqual({ callSid: 'CARET09', twilioRecordingSid: 'RE' + '9'.repeat(32) });
    expect(await store.markRecordingOnlyPurged('CARET09', '2026-12-01T00:00:00.000Z')).toBe(true);
    expect(await store.markRecordingOnlyPurged('CARET09', '2026-12-01T00:00:00.000Z')).toBe(false);
    expect((await store.expired('2999-01-01T00:00:00.000Z', 'transcript', 50)).map((row) => row.callSid)).not.toContain('CARET09');
    // A status-only row without a recording holds nothing the transcript scope removes.
    await store.saveTwilioStatus('CARET10', { status: 'completed' });
    expect((await store.expired('2999-01-01T00:00:00.000Z', 'transcript', 50)).map((row) => row.callSid)).not.toContain('CARET10');
  });

  it('erases a call on request for good: nothing written for it later is stored, and retention still removes the row', async () => {
    await store.save(record('CAERASE1', { revision: 3 }));
    await store.saveTwilioStatus('CAERASE1', { status: 'completed', durationSec: 61 });
    const outbox = store as unknown as OutboxStore;
    await outbox.enqueue({ id: 'erase-1', type: 'call.ended', destination: 'http://127.0.0.1:1/', signer: 'call.record', body: JSON.stringify(record('CAERASE1')) });
    expect(await store.twilioStatusOf('CAERASE1')).toEqual({ status: 'completed', durationSec: 61 });
    expect(await store.twilioStatusOf('CANOTHERE')).toBeUndefined();
    expect(await store.erase('CAERASE1')).toBe(true);
    expect(await store.twilioStatusOf('CAERASE1')).toBeUndefined();
    expect(await store.erase('CAERASE1')).toBe(false);
    expect(await store.erase('CANOTHERE')).toBe(false);
    expect(await outbox.find('erase-1')).toBeUndefined();

    // What arrives afterwards: another instance's last snapshot, Twilio's status and recording callbacks.
    expect(await store.saveTwilioStatus('CAFRESH1', { status: 'completed' })).toBe(true);
    await store.save(record('CAERASE1', { revision: 9 }));
    expect(await store.saveTwilioStatus('CAERASE1', { recording: { sid: 'RE' + '8'.repeat(32), url: 'https://api.twilio.com/r', channels: 2, status: 'completed' } } as never)).toBe(false);
    expect(await store.get('CAERASE1')).toBeUndefined();
    expect((await store.list({ limit: 100, offset: 0 })).items.map((item) => item.callSid)).not.toContain('CAERASE1');
    expect(await store.expired('2999-01-01T00:00:00.000Z', 'transcript', 100)).not.toContainEqual(expect.objectContaining({ callSid: 'CAERASE1' }));
    const remains = (await store.expired('2999-01-01T00:00:00.000Z', 'record', 100)).find((row) => row.callSid === 'CAERASE1');
    expect(remains).toEqual({ callSid: 'CAERASE1' }); // no record, no recording: only the CallSid is left
    expect(await store.delete('CAERASE1')).toBe(true);
  });
}
