import { afterEach, describe, expect, it } from 'vitest';
import { FakeTwilioRestApi } from '@app/simulators';
import { GatewayHarness, startGateway } from '../support/gateway-harness';

const ACCOUNT_SID = 'AC' + '0123456789abcdef'.repeat(2);
const DIALER = 'dialer-key-0123456789:calls';
const READER = 'reader-key-0123456789:records';

/**
 * `POST /calls` checks in this order: the key and its scope, the rate limits, the request itself
 * (destination policy, call context size), the `Idempotency-Key`, the key's concurrency slot, then
 * Twilio. So a refused request never burns an idempotency key, and a retried one never takes a
 * second slot nor places a second call.
 */
describe('POST /calls: the order of its checks', () => {
  let gateway: GatewayHarness | undefined;
  let twilioApi: FakeTwilioRestApi | undefined;
  afterEach(async () => {
    await gateway?.close();
    await twilioApi?.close();
    gateway = undefined;
    twilioApi = undefined;
  });

  const post = (body: unknown, idempotencyKey: string, apiKey = DIALER.split(':')[0]) =>
    fetch(`${gateway!.httpUrl}/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}`, 'idempotency-key': idempotencyKey },
      body: JSON.stringify(body),
    });
  const creates = () => twilioApi!.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/Calls.json')).length;

  it('refused requests leave the key free; a retry replays the first answer without a second slot or call', async () => {
    twilioApi = await FakeTwilioRestApi.start();
    gateway = await startGateway({
      TWILIO_ACCOUNT_SID: ACCOUNT_SID,
      TWILIO_API_BASE_URL: twilioApi.baseUrl,
      TWILIO_PHONE_NUMBER: '+14155550199',
      API_KEYS: `${DIALER},${READER}`,
      OUTBOUND_MAX_CONCURRENT_CALLS_PER_KEY: '1',
    });

    // The wrong scope, a premium destination and a context too large: refused before the key is taken.
    expect((await post({ to: '+14155550123' }, 'job-1', READER.split(':')[0])).status).toBe(403);
    const premium = await post({ to: '+19005551234' }, 'job-1');
    expect(premium.status).toBe(403);
    expect(await premium.json()).toMatchObject({ reason: 'high-risk-range' });
    const oversized = await post({ to: '+14155550123', variables: Object.fromEntries(Array.from({ length: 3 }, (_v, i) => [`v${i}`, 'x'.repeat(900)])) }, 'job-1');
    expect(oversized.status).toBe(400);
    expect(creates()).toBe(0);

    // The key is still free: the first valid request with it places the call.
    const body = { to: '+14155550123', variables: { name: 'Ada' } };
    const first = await post(body, 'job-1');
    expect(first.status).toBe(201);
    const placed = (await first.json()) as { callSid: string };
    expect(creates()).toBe(1);

    // The retry replays it: no second call, and no second slot (the key's one slot is taken, yet the retry is not refused).
    const retried = await post(body, 'job-1');
    expect(retried.status).toBe(201);
    expect(retried.headers.get('idempotent-replayed')).toBe('true');
    expect(await retried.json()).toEqual(placed);
    expect(creates()).toBe(1);

    // Another request of that key meets the slot the first call holds, once.
    const another = await post({ to: '+14155550124' }, 'job-2');
    expect(another.status).toBe(429);
    expect(((await another.json()) as { message: string }).message).toMatch(/ringing or live/);
    expect(creates()).toBe(1);
    // Its refusal freed job-2: the retry is tried afresh (429 again while the slot is held; not 409, not a replay).
    const again = await post({ to: '+14155550124' }, 'job-2');
    expect(again.status).toBe(429);
    expect(again.headers.get('idempotent-replayed')).toBeNull();
  });
});
