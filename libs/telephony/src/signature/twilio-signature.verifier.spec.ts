import type { IncomingMessage } from 'node:http';
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

const verifier = (publicUrl: string | undefined, authToken: string | undefined, validateSignatures = true) =>
  new TwilioSignatureVerifier({ publicUrl, authToken, validateSignatures } as TwilioModuleOptions);

const upgrade = (url: string, headers: Record<string, string>) => ({ url, headers }) as unknown as IncomingMessage;

describe('TwilioSignatureVerifier', () => {
  it("accepts Twilio's published test vector, rebuilt from PUBLIC_URL + path + query", () => {
    const v = verifier('https://example.com', VECTOR.token);
    expect(v.isValidWebhook(VECTOR.path, { 'x-twilio-signature': VECTOR.signature }, false, VECTOR.params)).toBe(true);
  });

  it('refuses the vector when the signature is missing or forged, a param changed, or the URL differs', () => {
    const v = verifier('https://example.com', VECTOR.token);
    expect(v.isValidWebhook(VECTOR.path, {}, false, VECTOR.params)).toBe(false);
    expect(v.isValidWebhook(VECTOR.path, { 'x-twilio-signature': 'L/OH5YylLD5NRKLltdqwSvS0BnX=' }, false, VECTOR.params)).toBe(false);
    expect(v.isValidWebhook(VECTOR.path, { 'x-twilio-signature': VECTOR.signature }, false, { ...VECTOR.params, Digits: '9999' })).toBe(false);
    expect(v.isValidWebhook('/myapp.php?foo=1&bar=3', { 'x-twilio-signature': VECTOR.signature }, false, VECTOR.params)).toBe(false);
    expect(verifier('https://evil.example.com', VECTOR.token).isValidWebhook(VECTOR.path, { 'x-twilio-signature': VECTOR.signature }, false, VECTOR.params)).toBe(false);
  });

  it('checks the media-stream upgrade against the wss:// URL, with or without a trailing slash', () => {
    const v = verifier('https://example.com', VECTOR.token);
    // twilio.getExpectedTwilioSignature('12345', 'wss://example.com/media', {}): Twilio signs the upgrade over the wss:// URL with no params.
    expect(v.isValidUpgrade(upgrade('/media', { 'x-twilio-signature': '7PR3qMkpDyEJtMrVOY/LDyNq8J8=' }))).toBe(true);
    expect(v.isValidUpgrade(upgrade('/media', {}))).toBe(false);
    expect(v.isValidUpgrade(upgrade('/media', { 'x-twilio-signature': '7PR3qMkpDyEJtMrVOY/LDyNq8J9=' }))).toBe(false);
    expect(v.isValidUpgrade(upgrade('/other', { 'x-twilio-signature': '7PR3qMkpDyEJtMrVOY/LDyNq8J8=' }))).toBe(false);
  });

  it('is off without a token, and when TWILIO_VALIDATE_SIGNATURES=false', () => {
    expect(verifier('https://example.com', undefined).enabled).toBe(false);
    expect(verifier('https://example.com', VECTOR.token, false).enabled).toBe(false);
    expect(verifier('https://example.com', undefined).isValidUpgrade(upgrade('/media', {}))).toBe(true);
  });
});
