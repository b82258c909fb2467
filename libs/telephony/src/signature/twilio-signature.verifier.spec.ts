import type { IncomingMessage } from 'node:http';
import twilio from 'twilio';
import { describe, expect, it } from 'vitest';
import type { TwilioModuleOptions } from '../twilio.module-definition';
import { TwilioSignatureVerifier } from './twilio-signature.verifier';

/** Twilio's published example of a signed webhook (twilio.com/docs/usage/security, "Validating requests"). */
const VECTOR = {
  token: '12345',
  path: '/myapp.php?foo=1&bar=2',
  params: { CallSid: 'CA1234567890ABCDE', Caller: '+14158675310', Digits: '1234', From: '+14158675310', To: '+18005551212' },
  signature: 'L/OH5YylLD5NRKLltdqwSvS0BnU=',
};

const verifier = (publicUrl: string | undefined, authToken: string | undefined, validateSignatures = true, trustProxyHeaders = false) =>
  new TwilioSignatureVerifier({ publicUrl, authToken, validateSignatures, trustProxyHeaders } as TwilioModuleOptions);

/** A request as it arrived: headers, and the socket of a local connection to 127.0.0.1:5050. */
const arrived = (headers: Record<string, string>) => ({ headers, socket: { localAddress: '127.0.0.1', localPort: 5050 } }) as unknown as IncomingMessage;
const upgrade = (url: string, headers: Record<string, string>) => Object.assign(arrived(headers), { url });

describe('TwilioSignatureVerifier', () => {
  it("accepts Twilio's published test vector, rebuilt from PUBLIC_URL + path + query", () => {
    const v = verifier('https://example.com', VECTOR.token);
    expect(v.isValidWebhook(VECTOR.path, arrived({ 'x-twilio-signature': VECTOR.signature }), VECTOR.params)).toBe(true);
  });

  it('refuses the vector when the signature is missing or forged, a param changed, or the URL differs', () => {
    const v = verifier('https://example.com', VECTOR.token);
    expect(v.isValidWebhook(VECTOR.path, arrived({}), VECTOR.params)).toBe(false);
    expect(v.isValidWebhook(VECTOR.path, arrived({ 'x-twilio-signature': 'L/OH5YylLD5NRKLltdqwSvS0BnX=' }), VECTOR.params)).toBe(false);
    expect(v.isValidWebhook(VECTOR.path, arrived({ 'x-twilio-signature': VECTOR.signature }), { ...VECTOR.params, Digits: '9999' })).toBe(false);
    expect(v.isValidWebhook('/myapp.php?foo=1&bar=3', arrived({ 'x-twilio-signature': VECTOR.signature }), VECTOR.params)).toBe(false);
    expect(verifier('https://evil.example.com', VECTOR.token).isValidWebhook(VECTOR.path, arrived({ 'x-twilio-signature': VECTOR.signature }), VECTOR.params)).toBe(false);
  });

  it('checks the media-stream upgrade against the wss:// URL, with or without a trailing slash', () => {
    const v = verifier('https://example.com', VECTOR.token);
    // twilio.getExpectedTwilioSignature('12345', 'wss://example.com/media', {}): Twilio signs the upgrade over the wss:// URL with no params.
    expect(v.isValidUpgrade(upgrade('/media', { 'x-twilio-signature': '7PR3qMkpDyEJtMrVOY/LDyNq8J8=' }))).toBe(true);
    expect(v.isValidUpgrade(upgrade('/media', {}))).toBe(false);
    expect(v.isValidUpgrade(upgrade('/media', { 'x-twilio-signature': '7PR3qMkpDyEJtMrVOY/LDyNq8J9=' }))).toBe(false);
    expect(v.isValidUpgrade(upgrade('/other', { 'x-twilio-signature': '7PR3qMkpDyEJtMrVOY/LDyNq8J8=' }))).toBe(false);
  });

  it('is off only when switched off explicitly; checked without a token, it refuses everything', () => {
    expect(verifier('https://example.com', VECTOR.token, false).enabled).toBe(false);
    expect(verifier('https://example.com', undefined, false).isValidUpgrade(upgrade('/media', {}))).toBe(true);
    const closed = verifier('https://example.com', undefined);
    expect(closed.refusesEverything).toBe(true);
    expect(closed.isValidUpgrade(upgrade('/media', { 'x-twilio-signature': '7PR3qMkpDyEJtMrVOY/LDyNq8J8=' }))).toBe(false);
    expect(closed.isValidWebhook(VECTOR.path, arrived({ 'x-twilio-signature': VECTOR.signature }), VECTOR.params)).toBe(false);
  });

  it('without PUBLIC_URL, signs over the address the request arrived at, not over the proxy headers it claims', () => {
    const local = 'http://127.0.0.1:5050';
    const spoofed = { host: 'evil.example.com', 'x-forwarded-host': 'evil.example.com', 'x-forwarded-proto': 'https' };
    const forEvil = twilio.getExpectedTwilioSignature(VECTOR.token, 'https://evil.example.com/incoming-call', {});
    const forLocal = twilio.getExpectedTwilioSignature(VECTOR.token, `${local}/incoming-call`, {});
    expect(verifier(undefined, VECTOR.token).isValidWebhook('/incoming-call', arrived({ ...spoofed, 'x-twilio-signature': forEvil }), {})).toBe(false);
    expect(verifier(undefined, VECTOR.token).isValidWebhook('/incoming-call', arrived({ ...spoofed, 'x-twilio-signature': forLocal }), {})).toBe(true);
    // Told to trust the proxy headers (behind a proxy that sets them), it uses them.
    expect(verifier(undefined, VECTOR.token, true, true).isValidWebhook('/incoming-call', arrived({ ...spoofed, 'x-twilio-signature': forEvil }), {})).toBe(true);
  });
});
