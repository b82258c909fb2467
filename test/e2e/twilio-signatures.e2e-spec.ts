import twilio from 'twilio';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayHarness, sleep, startGateway } from '../support/gateway-harness';

const TOKEN = 'signature-test-token-0123456789';
const PUBLIC_URL = 'https://voice.example.com';
const STREAM_URL = 'wss://voice.example.com/media-stream';
const FORM = { AccountSid: 'AC' + '1'.repeat(32), CallSid: 'CA' + '2'.repeat(32), From: '+15551230000', To: '+15559870000' };

describe('Twilio request signatures', () => {
  let gateway: GatewayHarness | undefined;
  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
  });

  const post = (headers: Record<string, string>, form: Record<string, string> = FORM, path = '/incoming-call') =>
    fetch(`${gateway!.httpUrl}${path}`, { method: 'POST', headers, body: new URLSearchParams(form) });

  it('answers /incoming-call only when X-Twilio-Signature matches PUBLIC_URL + path + query and the form', async () => {
    gateway = await startGateway({ PUBLIC_URL, TWILIO_AUTH_TOKEN: TOKEN });
    const valid = twilio.getExpectedTwilioSignature(TOKEN, `${PUBLIC_URL}/incoming-call`, FORM);
    const ok = await post({ 'x-twilio-signature': valid });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain(`<Stream url="${STREAM_URL}">`);

    expect((await post({})).status).toBe(403);
    expect((await post({ 'x-twilio-signature': 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' })).status).toBe(403);
    const wrongUrl = twilio.getExpectedTwilioSignature(TOKEN, 'https://elsewhere.example.com/incoming-call', FORM);
    expect((await post({ 'x-twilio-signature': wrongUrl })).status).toBe(403);
    const otherToken = twilio.getExpectedTwilioSignature('another-token-0123456789', `${PUBLIC_URL}/incoming-call`, FORM);
    expect((await post({ 'x-twilio-signature': otherToken })).status).toBe(403);
    // A valid signature does not cover a tampered form.
    expect((await post({ 'x-twilio-signature': valid }, { ...FORM, To: '+15550000000' })).status).toBe(403);
    const refused = await post({});
    expect(await refused.text()).not.toContain('Stream');

    // GET webhooks are signed over the URL with its query.
    const query = new URLSearchParams(FORM).toString();
    const getSignature = twilio.getExpectedTwilioSignature(TOKEN, `${PUBLIC_URL}/incoming-call?${query}`, {});
    const get = await fetch(`${gateway.httpUrl}/incoming-call?${query}`, { headers: { 'x-twilio-signature': getSignature } });
    expect(get.status).toBe(200);
  });

  it('accepts the media-stream upgrade only with a signature over the wss:// stream URL (trailing slash too)', async () => {
    gateway = await startGateway({ PUBLIC_URL, TWILIO_AUTH_TOKEN: TOKEN });
    const signed = gateway.newCall({ headers: { 'x-twilio-signature': twilio.getExpectedTwilioSignature(TOKEN, STREAM_URL, {}) } });
    await signed.connect();
    await gateway.simulator.nextSession(0);
    const slash = gateway.newCall({ headers: { 'x-twilio-signature': twilio.getExpectedTwilioSignature(TOKEN, STREAM_URL + '/', {}) } });
    await slash.connect();
    await gateway.simulator.nextSession(1);
  });

  it.each([
    ['missing', undefined],
    ['forged', 'AAAAAAAAAAAAAAAAAAAAAAAAAAA='],
    ['for the wrong URL', twilio.getExpectedTwilioSignature(TOKEN, 'wss://elsewhere.example.com/media-stream', {})],
    ['for the https:// URL', twilio.getExpectedTwilioSignature(TOKEN, 'https://voice.example.com/media-stream', {})],
  ])('refuses the upgrade with 403 when the signature is %s, before any OpenAI session is opened', async (_name, signature) => {
    gateway = await startGateway({ PUBLIC_URL, TWILIO_AUTH_TOKEN: TOKEN });
    const call = gateway.newCall({ headers: signature ? { 'x-twilio-signature': signature } : {} });
    await expect(call.connect()).rejects.toThrow(/403/);
    expect(call.rejectedStatus).toBe(403);
    await sleep(100);
    expect(gateway.simulator.sessions).toHaveLength(0);
    expect(gateway.simulator.refusedHandshakes).toBe(0);
  });

  it('skips validation when TWILIO_VALIDATE_SIGNATURES=false, even with a token', async () => {
    gateway = await startGateway({ PUBLIC_URL, TWILIO_AUTH_TOKEN: TOKEN, TWILIO_VALIDATE_SIGNATURES: 'false' });
    expect((await post({})).status).toBe(200);
    const call = gateway.newCall();
    await call.connect();
    await gateway.simulator.nextSession(0);
  });

  // The start-up refusal without a token is covered in config/environment.spec.ts (Nest aborts the process on it).
  it('starts in production without a token when validation is switched off explicitly', async () => {
    gateway = await startGateway({
      NODE_ENV: 'production',
      PUBLIC_URL,
      SINGLE_REPLICA: 'true',
      TWILIO_AUTH_TOKEN: undefined,
      GATEWAY_SIGNING_SECRET: 'a-signing-secret-without-twilio-0123456789',
      TWILIO_VALIDATE_SIGNATURES: 'false',
      LOG_LEVEL: 'silent',
    });
    expect((await post({})).status).toBe(200);
  });
});
