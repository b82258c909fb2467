import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { callContextParameters, CallContextSeal, CallContextTooLargeError, MAX_SEALED_CONTEXT_LENGTH, sealedContextFrom } from './call-context';

const NOW = 1_767_225_600_000;

describe('CallContextSeal', () => {
  it('seals a profile and variables opaquely, and any instance with the key opens them until they expire', () => {
    const key = randomBytes(32);
    const sealed = new CallContextSeal(key).seal({ profile: 'reminders', variables: { name: 'Ada Lovelace', day: 'Friday' } }, NOW);
    expect(sealed).toMatch(/^c1\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain('Ada');
    expect(Buffer.from(sealed.slice(3), 'base64url').toString('latin1')).not.toContain('Ada');
    expect(new CallContextSeal(key).open(sealed, NOW + 1000)).toEqual({ profile: 'reminders', variables: { name: 'Ada Lovelace', day: 'Friday' } });
    expect(new CallContextSeal(key).open(sealed, NOW + 60 * 60_000 + 1000)).toBeUndefined();
  });

  it('carries who placed the call (an API key id), sealed like the rest', () => {
    const seal = new CallContextSeal(randomBytes(32));
    const sealed = seal.seal({ profile: 'reminders', variables: {}, placedBy: '0123456789ab' }, NOW);
    expect(sealed).not.toContain('0123456789ab');
    expect(seal.open(sealed, NOW)).toEqual({ profile: 'reminders', variables: {}, placedBy: '0123456789ab' });
    expect(seal.open(seal.seal({ variables: {} }, NOW), NOW)?.placedBy).toBeUndefined();
  });

  it('opens nothing altered, sealed with another key, or malformed', () => {
    const seal = new CallContextSeal(randomBytes(32));
    const sealed = seal.seal({ variables: { a: '1' } }, NOW);
    const flipped = sealed.slice(0, 20) + (sealed[20] === 'A' ? 'B' : 'A') + sealed.slice(21);
    expect(seal.open(flipped, NOW)).toBeUndefined();
    expect(new CallContextSeal(randomBytes(32)).open(sealed, NOW)).toBeUndefined();
    for (const bad of [undefined, '', 'c1.', 'c1.!!!!', 'x'.repeat(100)]) expect(seal.open(bad, NOW)).toBeUndefined();
  });

  it('refuses a context too large for Twilio to carry, and splits one that fits into parameters under 500 characters', () => {
    const seal = new CallContextSeal(randomBytes(32));
    expect(() => seal.seal({ variables: { notes: 'x'.repeat(2000) } }, NOW)).toThrow(CallContextTooLargeError);
    const sealed = seal.seal({ variables: { notes: 'x'.repeat(1300) } }, NOW);
    expect(sealed.length).toBeLessThanOrEqual(MAX_SEALED_CONTEXT_LENGTH);
    const parameters = callContextParameters(sealed);
    expect(parameters.length).toBeGreaterThan(1);
    for (const { name, value } of parameters) expect(name.length + value.length).toBeLessThan(500);
    expect(sealedContextFrom(Object.fromEntries(parameters.map((p) => [p.name, p.value])))).toBe(sealed);
    expect(sealedContextFrom({ From: '+1' })).toBeUndefined();
  });
});
