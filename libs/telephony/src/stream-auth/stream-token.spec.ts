import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { StreamTokens } from './stream-token';

const keys = { twilio: randomBytes(32), softphone: randomBytes(32) };
const CALL = { callSid: 'CA' + 'a'.repeat(32), accountSid: 'AC' + 'b'.repeat(32), contextDigest: '' };
const NOW = 1_767_225_600_000;

describe('StreamTokens', () => {
  it('accepts a token for the call, account and context it was minted for, until it expires', () => {
    const tokens = new StreamTokens(keys);
    const { token, id, expiresAt } = tokens.mint('twilio', CALL, 300_000, NOW);
    expect(token).toMatch(/^st1\.\d{10}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{43}$/);
    expect(tokens.check(token, 'twilio', CALL, NOW + 299_000)).toEqual({ ok: true, id, expiresAt });
    expect(tokens.check(token, 'twilio', CALL, NOW + 300_001)).toEqual({ ok: false, reason: 'expired' });
    // Another pod with the same keys accepts it.
    expect(new StreamTokens(keys).check(token, 'twilio', CALL, NOW).ok).toBe(true);
  });

  it('refuses it for another CallSid, AccountSid or context, with other keys, as the other kind, or altered', () => {
    const tokens = new StreamTokens(keys);
    const { token } = tokens.mint('twilio', CALL, 300_000, NOW);
    expect(tokens.check(token, 'twilio', { ...CALL, callSid: 'CA' + 'c'.repeat(32) }, NOW)).toEqual({ ok: false, reason: 'not-valid-for-call' });
    expect(tokens.check(token, 'twilio', { ...CALL, accountSid: 'AC' + 'd'.repeat(32) }, NOW)).toEqual({ ok: false, reason: 'not-valid-for-call' });
    expect(tokens.check(token, 'twilio', { ...CALL, contextDigest: 'x' }, NOW)).toEqual({ ok: false, reason: 'not-valid-for-call' });
    expect(new StreamTokens({ twilio: randomBytes(32), softphone: keys.softphone }).check(token, 'twilio', CALL, NOW).ok).toBe(false);
    expect(tokens.check(token, 'softphone', CALL, NOW)).toEqual({ ok: false, reason: 'wrong-kind' });
    const [prefix, expiry, id, mac] = token.split('.');
    // A later expiry, a changed id or mac: the signature no longer matches.
    expect(tokens.check(`${prefix}.${Number(expiry) + 3600}.${id}.${mac}`, 'twilio', CALL, NOW).ok).toBe(false);
    expect(tokens.check(`${prefix}.${expiry}.${'A'.repeat(16)}.${mac}`, 'twilio', CALL, NOW).ok).toBe(false);
    for (const bad of [undefined, '', 'st1', 'st1.1.2.3', token + 'x', `sp1.${expiry}.${id}.${mac}`.slice(0, -1), 'x'.repeat(5000)]) {
      expect(tokens.check(bad, 'twilio', CALL, NOW).ok).toBe(false);
    }
  });

  it('gives every token its own id, so each can be used once', () => {
    const tokens = new StreamTokens(keys);
    const ids = new Set(Array.from({ length: 100 }, () => tokens.mint('softphone', CALL, 1000, NOW).id));
    expect(ids.size).toBe(100);
  });
});
