import { describe, expect, it } from 'vitest';
import { ConsoleTokenService } from './console-token.service';

const service = (enabled = true) => new ConsoleTokenService({ enabled, requireApiKey: false, tokenTtlMs: 60_000 });

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

  it('accepts a token issued by another instance with the same key (behind a load balancer)', () => {
    const key = Buffer.alloc(32, 7);
    const onA = new ConsoleTokenService({ enabled: true, requireApiKey: false, tokenKey: key });
    const onB = new ConsoleTokenService({ enabled: true, requireApiKey: false, tokenKey: key });
    const other = new ConsoleTokenService({ enabled: true, requireApiKey: false, tokenKey: Buffer.alloc(32, 8) });
    const { token } = onA.issue();
    expect(onB.isValidToken(token)).toBe(true);
    expect(other.isValidToken(token)).toBe(false);
  });

  it('refuses tokens that were altered, come from another process, or arrive while the console is off', () => {
    const tokens = service();
    const { token } = tokens.issue();
    const [expiry, mac] = token.split('.');
    expect(tokens.isValidToken(`${Number(expiry) + 3_600_000}.${mac}`)).toBe(false);
    expect(tokens.isValidToken(`${expiry}.${mac.slice(0, -1)}A`)).toBe(false);
    expect(tokens.isValidToken(service().issue().token)).toBe(false);
    expect(tokens.isValidToken('')).toBe(false);
    expect(tokens.isValidToken('.')).toBe(false);
    const disabled = service(false);
    expect(disabled.isValidToken(disabled.issue().token)).toBe(false);
  });
});
