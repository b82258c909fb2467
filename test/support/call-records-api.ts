import { expect, vi } from 'vitest';
import type { CallRecord } from '@app/call-records';
import type { GatewayHarness } from './gateway-harness';

/** Polls `GET /calls/:callSid` (with `apiKey`) until the record is there and completed. */
export function completedRecord(gateway: GatewayHarness, callSid: string, apiKey: string, timeout = 10_000): Promise<CallRecord> {
  return vi.waitFor(
    async () => {
      const response = await fetch(`${gateway.httpUrl}/calls/${callSid}`, { headers: { authorization: `Bearer ${apiKey}` } });
      expect(response.status).toBe(200);
      const record = (await response.json()) as CallRecord;
      expect(record.status).toBe('completed');
      return record;
    },
    { timeout, interval: 50 },
  );
}
