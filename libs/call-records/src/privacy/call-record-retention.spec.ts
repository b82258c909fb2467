import { describe, expect, it } from 'vitest';
import type { CallRecord } from '../record/call-record';
import { purgedRecord } from './call-record-retention.service';

describe('purgedRecord (the retention job, transcript scope)', () => {
  it('removes what was written from the conversation and keeps the verdicts, times and cost', () => {
    const record = {
      callSid: 'CA' + '1'.repeat(32),
      transcript: [{ role: 'caller', itemId: 'i1', at: '2020-01-01T00:00:01.000Z', text: 'my card is [card]' }],
      toolCalls: [
        { name: 'lookup', arguments: { order: '42' }, result: { ok: true }, startedAt: '2020-01-01T00:00:02.000Z', durationMs: 5 },
        { name: 'book', arguments: { who: 'Ada' }, error: 'No booking for Ada (order 42)', startedAt: '2020-01-01T00:00:03.000Z', durationMs: 7 },
      ],
      analysis: { model: 'gpt-5.4-mini', summary: 'Ada asked about order 42.', success: true, fields: { order: '42' }, completedAt: '2020-01-01T00:01:00.000Z' },
      transfer: { mode: 'warm', destination: 'sales', outcome: 'connected', summary: 'Ada wants a refund for order 42.' },
      cost: { currency: 'USD', total: 0.01 },
    } as unknown as CallRecord;
    const purged = purgedRecord(record, '2020-03-01T00:00:00.000Z', false);
    expect(purged.transcript).toEqual([]);
    expect(purged.toolCalls).toEqual([
      { name: 'lookup', arguments: null, startedAt: '2020-01-01T00:00:02.000Z', durationMs: 5 },
      { name: 'book', arguments: null, error: 'failed (details removed by retention)', startedAt: '2020-01-01T00:00:03.000Z', durationMs: 7 },
    ]);
    expect(purged.analysis).toEqual({ model: 'gpt-5.4-mini', summary: '', success: true, completedAt: '2020-01-01T00:01:00.000Z' });
    expect(purged.transfer).toEqual({ mode: 'warm', destination: 'sales', outcome: 'connected' });
    expect(purged.cost).toEqual(record.cost);
    expect(purged.transcriptPurgedAt).toBe('2020-03-01T00:00:00.000Z');
    expect(JSON.stringify(purged)).not.toMatch(/42|Ada|card/);
  });
});
