import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeTwilioRestApi } from '@app/simulators';
import type { CallRecord } from '@app/call-records';
import { GatewayHarness, startGateway } from '../support/gateway-harness';

const ACCOUNT_SID = 'AC' + '0123456789abcdef'.repeat(2);
const AUTH_TOKEN = 'shared-twilio-auth-token-0123456789';
const API_KEY = 'context-test-key-0123456789';
const PUBLIC_URL = 'https://voice.example.com';
const PROFILES = JSON.stringify({ reminders: { instructions: 'Remind {{name}} of the appointment on {{day}}.', voice: 'verse' } });

/**
 * Issue 13, item 1: an outbound call's profile and variables travel with the call (sealed in the
 * webhook URL, then in the TwiML's parameters, bound to the stream token), so whichever instance
 * Twilio reaches serves it with the right assistant. Two instances of the gateway behind one public
 * URL, sharing the Twilio auth token (so the signing secret) and nothing else.
 */
describe('call context travels with the call', () => {
  const gateways: GatewayHarness[] = [];
  let twilioApi: FakeTwilioRestApi | undefined;
  afterEach(async () => {
    for (const gateway of gateways.splice(0)) await gateway.close();
    await twilioApi?.close();
  });

  async function instance(): Promise<GatewayHarness> {
    const gateway = await startGateway(
      {
        ASSISTANT_GREETING: '',
        PUBLIC_URL,
        TWILIO_ACCOUNT_SID: ACCOUNT_SID,
        TWILIO_AUTH_TOKEN: AUTH_TOKEN,
        TWILIO_API_BASE_URL: twilioApi!.baseUrl,
        TWILIO_PHONE_NUMBER: '+14155550199',
        API_KEYS: API_KEY,
        ASSISTANT_PROFILES: PROFILES,
        DATABASE_URL: undefined,
      },
      { autoRespond: false },
    );
    gateways.push(gateway);
    return gateway;
  }

  const placeCall = (gateway: GatewayHarness, body: unknown) =>
    fetch(`${gateway.httpUrl}/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
      body: JSON.stringify(body),
    });

  it('placed on one instance and answered on the other, the call runs the right assistant with its variables and is recorded as outbound', async () => {
    twilioApi = await FakeTwilioRestApi.start();
    const [a, b] = [await instance(), await instance()];
    const placed = await placeCall(a, { to: '+14155550123', profile: 'reminders', variables: { name: 'Ada', day: 'Friday' } });
    expect(placed.status).toBe(201);
    const { callSid } = (await placed.json()) as { callSid: string };
    const create = await twilioApi.waitForRequest((r) => r.path.endsWith('/Calls.json'));
    expect(create.form.Url).toMatch(/^https:\/\/voice\.example\.com\/incoming-call\?context=c1\./);

    // Twilio fetches the TwiML from the public URL: the load balancer sends it to B, and the stream lands on B too.
    const call = b.newCall({ callSid, accountSid: ACCOUNT_SID, webhookUrl: create.form.Url as string, customParameters: { From: '+14155550199', To: '+14155550123' } });
    await call.connect();
    expect(call.streamParameters['CallContext.1']).toMatch(/^c1\./);
    const session = await b.simulator.nextSession(0);
    const update = (await session.waitForClientEvent('session.update')).session as Record<string, any>;
    expect(update.instructions).toBe('Remind "Ada" of the appointment on "Friday".');
    expect(update.audio.output.voice).toBe('verse');
    expect(a.simulator.sessions).toHaveLength(0);
    call.hangUp();

    const record = await vi.waitFor(
      async () => {
        const response = await fetch(`${b.httpUrl}/calls/${callSid}`, { headers: { authorization: `Bearer ${API_KEY}` } });
        expect(response.status).toBe(200);
        const body = (await response.json()) as CallRecord;
        expect(body.status).toBe('completed');
        return body;
      },
      { timeout: 10_000, interval: 50 },
    );
    expect(record).toMatchObject({ direction: 'outbound', assistantProfile: 'reminders' });
    // The credentials the TwiML carried are the transport's: they are not in the record.
    expect(JSON.stringify(record)).not.toMatch(/StreamToken|CallContext|st1\.|c1\./);
  });

  it("a context cannot be moved to another call: the stream token binds it to its own call's CallSid", async () => {
    twilioApi = await FakeTwilioRestApi.start();
    const [a, b] = [await instance(), await instance()];
    const placed = await placeCall(a, { to: '+14155550123', profile: 'reminders', variables: { name: 'Ada', day: 'Friday' } });
    const { callSid } = (await placed.json()) as { callSid: string };
    const create = await twilioApi.waitForRequest((r) => r.path.endsWith('/Calls.json'));
    const answered = b.newCall({ callSid, accountSid: ACCOUNT_SID, webhookUrl: create.form.Url as string });
    await answered.fetchTwiml();
    // An inbound call whose start carries the outbound call's context (and its token) is refused.
    const thief = b.newCall({ webhook: false, accountSid: ACCOUNT_SID, customParameters: answered.streamParameters });
    await thief.connect();
    expect(await thief.waitForClose()).toBe(1008);
    expect(b.simulator.sessions).toHaveLength(0);
  });

  it('refuses, with a clear 400, a context too large for Twilio to carry, before any call is placed', async () => {
    twilioApi = await FakeTwilioRestApi.start();
    const a = await instance();
    const variables = Object.fromEntries(Array.from({ length: 4 }, (_v, i) => [`note${i}`, 'x'.repeat(600)]));
    const refused = await placeCall(a, { to: '+14155550123', profile: 'reminders', variables });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { message: string }).message).toMatch(/take \d+ characters once sealed; at most 1900 fit/);
    expect(twilioApi.requests).toEqual([]);
  });
});
