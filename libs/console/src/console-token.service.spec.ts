import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { ConsoleTokenService, isAllowedOrigin } from './console-token.service';

const KEY = randomBytes(32);
const service = (enabled = true, tokenKey = KEY) => new ConsoleTokenService({ enabled, requireApiKey: false, tokenKey, allowedOrigins: [], tokenTtlMs: 60_000 });

describe('ConsoleTokenService', () => {
  it('accepts its own token in the URL until it expires', () => {
    const tokens = service();
    const { token, expiresAt } = tokens.issue(1_000_000);
    expect(expiresAt).toBe(1_060_000);
    expect(tokens.isValidToken(token, 1_059_999)).toBe(true);
    expect(tokens.isValidToken(token, 1_060_001)).toBe(false);
    const fresh = tokens.issue().token;
    expect(tokens.isValid({ url: `/media-stream?console_token=${encodeURIComponent(fresh)}` })).toBe(true);
    expect(tokens.isValid({ url: '/media-stream' })).toBe(false);
  });

  it('accepts a token minted by another instance sharing the signing key (another pod)', () => {
    expect(service().isValidToken(service().issue().token)).toBe(true);
  });

  it('refuses tokens that were altered, signed with another key, or arrive while the console is off', () => {
    const tokens = service();
    const { token } = tokens.issue();
    const [expiry, mac] = token.split('.');
    expect(tokens.isValidToken(`${Number(expiry) + 3_600_000}.${mac}`)).toBe(false);
    // One character of the MAC changed (never to itself: the key, so the MAC, is random).
    expect(tokens.isValidToken(`${expiry}.${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`)).toBe(false);
    expect(tokens.isValidToken(service(true, randomBytes(32)).issue().token)).toBe(false);
    expect(tokens.isValidToken('')).toBe(false);
    expect(tokens.isValidToken('.')).toBe(false);
    const disabled = service(false);
    expect(disabled.isValidToken(disabled.issue().token)).toBe(false);
  });
});

describe('isAllowedOrigin', () => {
  const request = (origin: string | undefined, host = '127.0.0.1:5050') => ({ headers: { host, ...(origin === undefined ? {} : { origin }) } });

  it("accepts non-browser clients, the page's own origin and configured ones; refuses every other site", () => {
    expect(isAllowedOrigin(request(undefined), [])).toBe(true);
    expect(isAllowedOrigin(request('http://127.0.0.1:5050'), [])).toBe(true);
    expect(isAllowedOrigin(request('https://voice.example.com', 'voice.example.com'), [])).toBe(true);
    expect(isAllowedOrigin(request('https://ops.example.com'), ['https://ops.example.com'])).toBe(true);
    expect(isAllowedOrigin(request('https://evil.example'), [])).toBe(false);
    expect(isAllowedOrigin(request('http://127.0.0.1:5051'), [])).toBe(false);
    expect(isAllowedOrigin(request('null'), [])).toBe(false);
    expect(isAllowedOrigin(request('not a url'), [])).toBe(false);
  });
});
