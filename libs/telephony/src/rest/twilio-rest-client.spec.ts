import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeTwilioRestApi } from '@app/simulators';
import type { TwilioModuleOptions } from '../twilio.module-definition';
import { TwilioNotConfiguredError, TwilioRestClient } from './twilio-rest-client';

const ACCOUNT = 'AC' + 'a'.repeat(32);
const TOKEN = 'test-auth-token-0123456789';

describe('TwilioRestClient against a fake api.twilio.com', () => {
  let api: FakeTwilioRestApi;
  let client: TwilioRestClient;
  beforeAll(async () => {
    api = await FakeTwilioRestApi.start();
    client = new TwilioRestClient({ accountSid: ACCOUNT, authToken: TOKEN, apiBaseUrl: api.baseUrl, validateSignatures: true } as TwilioModuleOptions);
  });
  afterAll(async () => api.close());

  it('redirects a live call with TwiML, authenticated with the account credentials', async () => {
    await client.redirectCall('CA123', '<Response><Hangup/></Response>');
    const request = api.requests.at(-1)!;
    expect(request).toMatchObject({ method: 'POST', path: `/2010-04-01/Accounts/${ACCOUNT}/Calls/CA123.json`, basicAuth: `${ACCOUNT}:${TOKEN}` });
    expect(request.form).toEqual({ Twiml: '<Response><Hangup/></Response>' });
  });

  it('completes a call and creates one with repeated status-callback events', async () => {
    await client.completeCall('CA9');
    expect(api.requests.at(-1)!.form).toEqual({ Status: 'completed' });
    const created = await client.createCall({ to: '+15550001', from: '+15550002', url: 'https://x/incoming-call', statusCallback: 'https://x/status' });
    expect(created.sid).toMatch(/^CA/);
    expect(api.requests.at(-1)!.form).toMatchObject({ To: '+15550001', From: '+15550002', Url: 'https://x/incoming-call', StatusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'] });
  });

  it('surfaces Twilio errors and refuses to run without credentials', async () => {
    api.failWith({ status: 404, code: 20404, message: 'The requested resource was not found' });
    await expect(client.completeCall('CA404')).rejects.toThrow(/not found/);
    api.failWith(undefined);
    const unconfigured = new TwilioRestClient({ accountSid: undefined, authToken: undefined, apiBaseUrl: api.baseUrl, validateSignatures: true } as TwilioModuleOptions);
    await expect(unconfigured.completeCall('CA1')).rejects.toBeInstanceOf(TwilioNotConfiguredError);
  });
});
