import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GatewayHarness, startGateway } from '../support/gateway-harness';
import { metricValue, scrape } from '../support/prometheus';
import { deleteKeys, eventually, requireRedis, TEST_REDIS_URL, uniqueKeyPrefix } from '../support/redis';

const webhook = (gateway: GatewayHarness, callSid: string) => gateway.postWebhook('/incoming-call', { CallSid: callSid }).then((r) => r.text());
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
