import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CallDrainService } from '@app/operations';
import { FakeTwilioRestApi } from '@app/simulators';
import { GatewayHarness, startGateway } from '../support/gateway-harness';
import { expectCallFlowing, openAndClose, softphoneCall, startLiveCall } from '../support/live-call';
import { metricValue, scrape } from '../support/prometheus';

const ACCOUNT_SID = 'AC' + '0123456789abcdef'.repeat(2);
const OTHER_ACCOUNT = 'AC' + 'fedcba9876543210'.repeat(2);
const CONSOLE_KEY = 'console-only-key-0123456789';
const CALLS_KEY = 'calls-only-key-0123456789';

/**
 * Who may open a media stream, and what a stream may claim. Each attack must fail while a real call
 * on the same gateway keeps flowing both ways.
 */
describe('stream credentials: attacks on the media stream and the console fail, real calls keep flowing', () => {
  let gateway: GatewayHarness | undefined;
  let twilioApi: FakeTwilioRestApi | undefined;
  afterEach(async () => {
    await gateway?.close();
    await twilioApi?.close();
    gateway = undefined;
    twilioApi = undefined;
  });

  async function start(env: Record<string, string | undefined> = {}) {
    twilioApi = await FakeTwilioRestApi.start();
    gateway = await startGateway(
      { ASSISTANT_GREETING: '', TWILIO_ACCOUNT_SID: ACCOUNT_SID, TWILIO_API_BASE_URL: twilioApi.baseUrl, ...env },
      { autoRespond: false },
    );
    return gateway;
  }

  it('replay: a captured upgrade signature and start (token included) open no second session, during the call or after it', async () => {
    gateway = await start();
    const victim = await startLiveCall(gateway);
    const captured = { callSid: victim.call.callSid, accountSid: victim.call.accountSid, customParameters: victim.call.streamParameters };
    expect(captured.customParameters.StreamToken).toMatch(/^st1\./);

    for (let i = 0; i < 10; i++) {
      // The same signed upgrade (Twilio's signature covers only the fixed URL) and the same start frame.
      const replay = gateway.newCall({ webhook: false, ...captured });
      await replay.connect();
      expect(await replay.waitForClose()).toBe(1008);
    }
    // Moved to another CallSid, the token is not valid either.
    const moved = gateway.newCall({ webhook: false, ...captured, callSid: 'CA' + '7'.repeat(32) });
    await moved.connect();
    expect(await moved.waitForClose()).toBe(1008);
    expect(gateway.simulator.sessions).toHaveLength(1);
    await expectCallFlowing(victim);

    victim.call.hangUp();
    await victim.session.waitForClose();
    const afterwards = gateway.newCall({ webhook: false, ...captured });
    await afterwards.connect();
    expect(await afterwards.waitForClose()).toBe(1008);
    expect(gateway.simulator.sessions).toHaveLength(1);
    const metrics = await scrape(gateway.httpUrl);
    expect(metricValue(metrics, 'voice_gateway_media_streams_refused_total', { reason: 'already-used' })).toBe(11);
    expect(metricValue(metrics, 'voice_gateway_media_streams_refused_total', { reason: 'not-valid-for-call' })).toBe(1);
  });

  it("forged start: a stream cannot claim a live call's CallSid, so it cannot hang it up, redirect it or take its record", async () => {
    gateway = await start();
    const victim = await startLiveCall(gateway);
    // The attacker is a genuine caller too: its own call got a genuine token from the webhook.
    const attacker = gateway.newCall({ customParameters: { From: '+14155550111' } });
    await attacker.fetchTwiml();
    const attempts = [
      { customParameters: {}, accountSid: ACCOUNT_SID }, // no token
      { customParameters: attacker.streamParameters, accountSid: ACCOUNT_SID }, // its own token, another CallSid
      { customParameters: attacker.streamParameters, accountSid: OTHER_ACCOUNT }, // another account
    ];
    for (const attempt of attempts) {
      const forged = gateway.newCall({ webhook: false, callSid: victim.call.callSid, ...attempt });
      // It stays silent, as if waiting for the idle limit to hang the victim up: it is closed before any limit runs.
      await forged.connect({ stream: false });
      expect(await forged.waitForClose()).toBe(1008);
    }
    expect(gateway.simulator.sessions).toHaveLength(1);
    // Twilio's REST API was never asked to act on the victim's call.
    expect(twilioApi!.requests.filter((r) => r.path.includes(victim.call.callSid))).toEqual([]);
    await expectCallFlowing(victim);
    const metrics = await scrape(gateway.httpUrl);
    expect(metricValue(metrics, 'voice_gateway_media_streams_refused_total', { reason: 'no-token' })).toBe(1);
    expect(metricValue(metrics, 'voice_gateway_media_streams_refused_total', { reason: 'not-valid-for-call' })).toBe(1);
    expect(metricValue(metrics, 'voice_gateway_media_streams_refused_total', { reason: 'wrong-account' })).toBe(1);
    expect(metricValue(metrics, 'voice_gateway_calls_started_total')).toBe(1);
  });

  it('unsigned streams in local with a real OpenAI key: every unsigned upgrade and webhook is refused, no OpenAI session opens', async () => {
    gateway = await start({ NODE_ENV: 'local', LOG_FORMAT: 'json', LOG_LEVEL: 'silent', TWILIO_AUTH_TOKEN: undefined, TWILIO_ACCOUNT_SID: undefined });
    // The legitimate user here is a developer on the console's softphone.
    const phone = await softphoneCall(gateway);
    await phone.connect();
    const session = await gateway.simulator.nextSession(0);
    await session.waitForClientEvent('session.update');

    const attempts = await Promise.all(Array.from({ length: 25 }, () => openAndClose(gateway!.mediaStreamUrl)));
    expect(attempts.every((a) => a.refusedStatus === 403)).toBe(true);
    const webhook = await fetch(`${gateway.httpUrl}/incoming-call`, { method: 'POST', body: new URLSearchParams({ CallSid: 'CA1' }) });
    expect(webhook.status).toBe(403);
    expect(await webhook.text()).not.toContain('StreamToken');
    expect(gateway.simulator.sessions).toHaveLength(1);
    await expectCallFlowing({ call: phone, session });
  });

  it('only an explicit TWILIO_VALIDATE_SIGNATURES=false accepts unsigned Twilio requests in local with a real key', async () => {
    gateway = await start({ NODE_ENV: 'local', LOG_FORMAT: 'json', LOG_LEVEL: 'silent', TWILIO_AUTH_TOKEN: undefined, TWILIO_ACCOUNT_SID: undefined, TWILIO_VALIDATE_SIGNATURES: 'false' });
    const call = await startLiveCall(gateway);
    await expectCallFlowing(call);
  });

  it('console token without credentials: with a real OpenAI key, tokens and softphone calls need an API key with the console scope', async () => {
    gateway = await start({ API_KEYS: `${CONSOLE_KEY}:console,${CALLS_KEY}:calls` });
    const live = await startLiveCall(gateway);
    const post = (path: string, key?: string) => fetch(`${gateway!.httpUrl}${path}`, { method: 'POST', headers: key ? { authorization: `Bearer ${key}` } : {} });
    for (const path of ['/console/token', '/console/softphone']) {
      expect((await post(path)).status).toBe(401);
      expect((await post(path, 'not-a-key-0123456789abcdef')).status).toBe(401);
      expect((await post(path, CALLS_KEY)).status).toBe(401);
      expect((await post(path, CONSOLE_KEY)).status).toBe(200);
    }
    // Without any API key configured there is no way in at all.
    await expectCallFlowing(live);
    await gateway.close();
    gateway = await startGateway({ API_KEYS: undefined });
    expect((await post('/console/token')).status).toBe(401);
    expect((await post('/console/softphone')).status).toBe(401);
  });

  it('cross-origin sockets: a page of another site can open neither the live feed nor a softphone stream, even with a token', async () => {
    gateway = await start({ CONSOLE_ALLOWED_ORIGINS: 'https://ops.example.com' });
    const live = await startLiveCall(gateway);
    const token = await gateway.consoleToken();
    const feedUrl = `ws://127.0.0.1:${gateway.port}/console/ws?console_token=${encodeURIComponent(token)}`;
    expect(await openAndClose(feedUrl, { origin: 'https://evil.example' })).toEqual({ closeCode: 1008 });
    const evilPhone = await softphoneCall(gateway, { origin: 'https://evil.example' });
    await expect(evilPhone.connect()).rejects.toThrow(/403/);

    // The page's own origin, and a configured one, are fine.
    const own = new WebSocket(feedUrl, { headers: { origin: `http://127.0.0.1:${gateway.port}` } });
    const hello = await new Promise<Record<string, unknown>>((resolve) => own.once('message', (data) => resolve(JSON.parse(data.toString()))));
    expect(hello.type).toBe('hello');
    own.close();
    const phone = await softphoneCall(gateway, { origin: 'https://ops.example.com' });
    await phone.connect();
    await gateway.simulator.nextSession(1);
    expect(gateway.simulator.sessions).toHaveLength(2);
    await expectCallFlowing(live);
  });

  it("the softphone's calls never touch Twilio's REST API: no transfer offered, and a hang-up, the fallback or the drain only ends the stream", async () => {
    gateway = await start({ TRANSFER_PHONE_NUMBER: '+14155550177', FALLBACK_PHONE_NUMBER: '+14155550188', OPENAI_MAX_RECONNECTS_PER_CALL: '0', DRAIN_TIMEOUT_S: '0.3' });
    const live = await startLiveCall(gateway);

    const first = await softphoneCall(gateway);
    await first.connect();
    const session = await gateway.simulator.nextSession(1);
    const update = await session.waitForClientEvent('session.update');
    expect((update.session.tools as Array<{ name: string }>).map((t) => t.name)).not.toContain('transfer_call');
    session.callFunction('end_call', {});
    expect(await first.waitForClose(10_000)).toBe(1000);

    const second = await softphoneCall(gateway);
    await second.connect();
    const failing = await gateway.simulator.nextSession(2);
    await failing.waitForClientEvent('session.update');
    failing.closeFromServer(1011, 'server error');
    await second.waitForClose(10_000);

    // A softphone token, replayed, is refused like any other.
    const replay = gateway.newCall({ url: first.url, webhook: false, callSid: first.callSid, customParameters: first.streamParameters, headers: {} });
    await replay.connect();
    expect(await replay.waitForClose()).toBe(1008);

    expect(twilioApi!.requests).toEqual([]);
    await expectCallFlowing(live);

    // The drain's goodbye: the Twilio call is redirected, the softphone's stream only closed.
    const third = await softphoneCall(gateway);
    await third.connect();
    await gateway.simulator.nextSession(3);
    const drained = gateway.app.get(CallDrainService).drain();
    expect(await third.waitForClose()).toBe(1001);
    await twilioApi!.waitForRequest((r) => r.path.endsWith(`/Calls/${live.call.callSid}.json`));
    live.call.hangUp(); // what Twilio does once it follows the redirect
    await drained;
    const redirected = twilioApi!.requests.map((r) => r.path);
    expect(redirected).toEqual([`/2010-04-01/Accounts/${ACCOUNT_SID}/Calls/${live.call.callSid}.json`]);
  });
});
