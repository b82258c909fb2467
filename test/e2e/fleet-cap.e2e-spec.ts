import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { OutboundCallSlots } from '@app/orchestration';
import { FakeTwilioRestApi } from '@app/simulators';
import { GatewayHarness, startGateway, TEST_API_KEY } from '../support/gateway-harness';
import { metricValue, scrape } from '../support/prometheus';
import { deleteKeys, eventually, requireRedis, TEST_REDIS_URL, uniqueKeyPrefix } from '../support/redis';

const webhook = (gateway: GatewayHarness, callSid: string) => gateway.postWebhook('/incoming-call', { CallSid: callSid }).then((r) => r.text());
const ACCOUNT_SID = 'AC' + '0123456789abcdef'.repeat(2);
const readiness = async (gateway: GatewayHarness) => (await fetch(`${gateway.httpUrl}/readyz`)).json() as Promise<Record<string, any>>;

/** Two gateways on one Redis: the fleet-wide cap and the places reserved by webhooks, across instances. */
describe('admission across instances on one Redis', () => {
  const prefix = uniqueKeyPrefix('fleet-cap');
  const gateways: GatewayHarness[] = [];
  const start = async (env: Record<string, string>) => {
    const gateway = await startGateway({ REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix, ASSISTANT_GREETING: '', CALL_REFUSED_MESSAGE: 'Busy.', ...env }, { autoRespond: false });
    gateways.push(gateway);
    await eventually(async () => (await readiness(gateway)).info?.sharedState?.redis === 'up', 'Redis');
    return gateway;
  };

  beforeAll(() => requireRedis());
  afterEach(async () => {
    for (const gateway of gateways.splice(0)) await gateway.close();
  });
  afterAll(() => deleteKeys(prefix));

  it('refuses at the webhook once the whole fleet has FLEET_MAX_CONCURRENT_CALLS calls, and lets calls in again when one ends', async () => {
    const [a, b] = [await start({ FLEET_MAX_CONCURRENT_CALLS: '1' }), await start({ FLEET_MAX_CONCURRENT_CALLS: '1' })];
    const call = a.newCall({ callSid: 'CAfleet1' });
    expect(await call.fetchTwiml()).toContain('<Connect><Stream');
    await call.connect();
    await a.simulator.nextSession(0);
    // B has room of its own, but the fleet has none.
    expect(await webhook(b, 'CAfleet2')).toContain('<Say>Busy.</Say><Hangup/>');
    expect(metricValue(await scrape(b.httpUrl), 'voice_gateway_calls_refused_total', { reason: 'fleet-at-capacity' })).toBe(1);
    call.hangUp();
    await eventually(async () => (await webhook(b, `CAfleet${Date.now()}`)).includes('<Connect>'), 'a place in the fleet again');
  });

  it('frees a place reserved by one instance when its stream starts on another', async () => {
    const [a, b] = [await start({ MAX_CONCURRENT_CALLS: '1' }), await start({ MAX_CONCURRENT_CALLS: '1' })];
    // A answers the webhook (and mints the stream token); the stream lands on B.
    const call = a.newCall({ callSid: 'CAmoved', url: b.mediaStreamUrl, headers: b.streamUpgradeHeaders });
    expect(await call.fetchTwiml()).toContain('<Connect><Stream');
    expect((await readiness(a)).error?.calls).toMatchObject({ reserved: 1, reason: 'at-capacity' });
    await call.connect();
    await b.simulator.nextSession(0);
    // Told by the fleet bus, A frees the place at once instead of holding it for 30 s.
    await eventually(async () => (await readiness(a)).status === 'ok', "A's place freed", 3000);
    expect(await webhook(a, 'CAnext')).toContain('<Connect><Stream');
    call.hangUp();
  });
});

/** Two gateways on one Redis: the API's rate limits (and the outbound-call limit) count every instance's requests. */
describe('rate limits across instances on one Redis', () => {
  const prefix = uniqueKeyPrefix('fleet-limits');
  const gateways: GatewayHarness[] = [];
  const start = async (env: Record<string, string>) => {
    const gateway = await startGateway({ REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix, ...env });
    gateways.push(gateway);
    await eventually(async () => (await readiness(gateway)).info?.sharedState?.redis === 'up', 'Redis');
    return gateway;
  };
  const authorized = (gateway: GatewayHarness, path: string, init: RequestInit = {}) =>
    fetch(`${gateway.httpUrl}${path}`, { ...init, headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json', ...init.headers } });

  beforeAll(() => requireRedis());
  afterEach(async () => {
    for (const gateway of gateways.splice(0)) await gateway.close();
  });
  afterAll(() => deleteKeys(prefix));

  it('refuses the request past API_RATE_LIMIT_PER_MINUTE whichever instance it reaches', async () => {
    const [a, b] = [await start({ API_RATE_LIMIT_PER_MINUTE: '4' }), await start({ API_RATE_LIMIT_PER_MINUTE: '4' })];
    const statuses: number[] = [];
    for (const gateway of [a, b, a, b, a, b]) statuses.push((await authorized(gateway, '/calls?limit=1')).status);
    // Per instance, each would have let three through; together they let four.
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
  });

  it('counts outbound calls per minute across instances (refused destinations included)', async () => {
    const [a, b] = [await start({ OUTBOUND_CALLS_PER_MINUTE: '2', TWILIO_PHONE_NUMBER: '+14155550199' }), await start({ OUTBOUND_CALLS_PER_MINUTE: '2', TWILIO_PHONE_NUMBER: '+14155550199' })];
    const dial = (gateway: GatewayHarness) => authorized(gateway, '/calls', { method: 'POST', body: JSON.stringify({ to: '+19005551234' }) });
    expect((await dial(a)).status).toBe(403);
    expect((await dial(b)).status).toBe(403);
    const third = await dial(a);
    expect(third.status).toBe(429);
    expect(((await third.json()) as { message: string }).message).toMatch(/rate limit exceeded/);
  });
});

/** Two gateways on one Redis: an API key's outbound calls ringing or live are counted across instances. */
describe('outbound calls per API key across instances on one Redis', () => {
  const prefix = uniqueKeyPrefix('fleet-slots');
  const gateways: GatewayHarness[] = [];
  let twilioApi: FakeTwilioRestApi;
  const start = async () => {
    const gateway = await startGateway(
      {
        REDIS_URL: TEST_REDIS_URL,
        REDIS_KEY_PREFIX: prefix,
        ASSISTANT_GREETING: '',
        PUBLIC_URL: 'https://voice.example.com',
        TWILIO_ACCOUNT_SID: ACCOUNT_SID,
        TWILIO_API_BASE_URL: twilioApi.baseUrl,
        TWILIO_PHONE_NUMBER: '+14155550199',
        OUTBOUND_MAX_CONCURRENT_CALLS_PER_KEY: '1',
      },
      { autoRespond: false },
    );
    gateways.push(gateway);
    await eventually(async () => (await readiness(gateway)).info?.sharedState?.redis === 'up', 'Redis');
    return gateway;
  };
  const dial = (gateway: GatewayHarness, to: string) =>
    fetch(`${gateway.httpUrl}/calls`, { method: 'POST', headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ to }) });

  beforeAll(async () => {
    await requireRedis();
    twilioApi = await FakeTwilioRestApi.start();
  });
  afterAll(async () => {
    for (const gateway of gateways.splice(0)) await gateway.close();
    await twilioApi.close();
    await deleteKeys(prefix);
  });

  it("holds the key's slot wherever the call runs, and gives it back when the call ends on the other instance", async () => {
    const [a, b] = [await start(), await start()];
    const placed = await dial(a, '+14155550123');
    expect(placed.status).toBe(201);
    const { callSid } = (await placed.json()) as { callSid: string };
    // The key's one slot is taken, for B too.
    const refused = await dial(b, '+14155550124');
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { message: string }).message).toMatch(/ringing or live/);

    // The call is answered; its webhook and stream reach B, which keeps the slot while the call lives.
    const create = await twilioApi.waitForRequest((r) => r.path.endsWith('/Calls.json') && r.form.To === '+14155550123');
    const call = b.newCall({ callSid, accountSid: ACCOUNT_SID, webhookUrl: create.form.Url as string });
    await call.connect();
    await b.simulator.nextSession(0);
    expect((await dial(a, '+14155550124')).status).toBe(429);
    call.hangUp();
    // (Polled without dialling: every POST /calls counts against the key's rate limit.)
    const keyId = createHash('sha256').update(TEST_API_KEY).digest('hex').slice(0, 12);
    await eventually(async () => (await a.app.get(OutboundCallSlots).held(keyId)) === 0, 'the slot given back by B');
    expect((await dial(a, '+14155550125')).status).toBe(201);
    expect(twilioApi.requests.filter((r) => r.path.endsWith('/Calls.json'))).toHaveLength(2);
  });
});
