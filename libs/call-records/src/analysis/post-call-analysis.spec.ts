import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CallRecordsModuleOptions } from '../call-records.module-definition';
import { OutboxJobs } from '../outbox/outbox-jobs';
import type { OutboxDelivery } from '../outbox/outbox.store';
import type { OutboxPublisher } from '../outbox/outbox-publisher';
import type { CallRecord } from '../record/call-record';
import type { CallRecordStore } from '../store/call-record.store';
import type { LifecycleWebhooks } from '../webhooks/lifecycle-webhooks';
import { PostCallAnalysis } from './post-call-analysis';

const CALL_SID = 'CA' + '7'.repeat(32);
const record = {
  callSid: CALL_SID,
  status: 'completed',
  assistantProfile: 'default',
  transcript: [{ role: 'caller', itemId: 'i1', at: '2026-12-01T00:00:00.000Z', text: 'I would like a refund.' }],
  toolCalls: [],
  usage: {},
  cost: { currency: 'USD', total: 0.01, breakdown: {} },
  revision: 3,
} as unknown as CallRecord;

/** The record as the store holds it while the model answers: deleted, or with its transcript purged. */
function analysisWhile(change: 'deleted' | 'purged') {
  let current: CallRecord | undefined = record;
  const store = { get: vi.fn(async () => current), save: vi.fn(async () => undefined) };
  const webhooks = { wants: () => true, publish: vi.fn() };
  const config = { analysis: { model: 'gpt-5.4-mini', apiBaseUrl: 'http://127.0.0.1:9/v1', auth: 'bearer', timeoutMs: 1000, profiles: {} } } as unknown as CallRecordsModuleOptions;
  const analysis = new PostCallAnalysis(store as unknown as CallRecordStore, {} as OutboxPublisher, new OutboxJobs(), webhooks as unknown as LifecycleWebhooks, config);
  vi.spyOn(analysis as unknown as { requestAnalysis: () => Promise<unknown> }, 'requestAnalysis').mockImplementation(async () => {
    current = change === 'deleted' ? undefined : { ...record, transcript: [], transcriptPurgedAt: '2026-12-01T00:01:00.000Z' };
    return { output: { summary: 'The caller asked for a refund.', success: true, fields: {} }, usage: { inputTokens: 100, cachedInputTokens: 0, outputTokens: 20 } };
  });
  return { analysis, store, webhooks };
}

const delivery = { id: 'job-1', type: 'analysis', destination: 'job:analysis', signer: 'job', body: JSON.stringify({ callSid: CALL_SID }), attempt: 1 } as unknown as OutboxDelivery;

describe('PostCallAnalysis', () => {
  afterEach(() => vi.restoreAllMocks());

  it('stores nothing and sends no call.analyzed when the record was deleted while the model answered', async () => {
    const { analysis, store, webhooks } = analysisWhile('deleted');
    expect(await analysis.run(delivery, false)).toEqual({ kind: 'delivered' });
    expect(store.save).not.toHaveBeenCalled();
    expect(webhooks.publish).not.toHaveBeenCalled();
  });

  it('never writes a purged transcript back', async () => {
    const { analysis, store, webhooks } = analysisWhile('purged');
    expect(await analysis.run(delivery, false)).toEqual({ kind: 'delivered' });
    expect(store.save).not.toHaveBeenCalled();
    expect(webhooks.publish).not.toHaveBeenCalled();
  });
});
