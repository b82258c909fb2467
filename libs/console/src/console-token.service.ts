import { Inject, Injectable } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { CONSOLE_OPTIONS } from './console.module-definition';
import type { ConsoleModuleOptions } from './console.module-definition';

/** Query parameter that carries a console token on WebSocket URLs (browsers cannot set headers there). */
export const CONSOLE_TOKEN_PARAM = 'console_token';

const DEFAULT_TOKEN_TTL_MS = 60_000;

/**
 * Short-lived tokens for the console's live feed. A token is `<expiry ms>.<HMAC-SHA256>` under the
 * console-token key (derived from the gateway's signing secret), so it needs no storage and is
 * valid on every pod sharing the secret. Only checked when a socket opens.
 */
@Injectable()
export class ConsoleTokenService {
  constructor(@Inject(CONSOLE_OPTIONS) private readonly config: ConsoleModuleOptions) {}

  issue(now = Date.now()): { token: string; expiresAt: number } {
    const expiresAt = now + (this.config.tokenTtlMs ?? DEFAULT_TOKEN_TTL_MS);
    return { token: `${expiresAt}.${this.sign(String(expiresAt))}`, expiresAt };
  }

  isValidToken(token: string | null | undefined, now = Date.now()): boolean {
    if (!this.config.enabled || typeof token !== 'string' || token.length > 200) return false;
    const dot = token.indexOf('.');
    if (dot <= 0) return false;
    const expiry = token.slice(0, dot);
    if (!/^\d{1,15}$/.test(expiry) || Number(expiry) < now) return false;
    const presented = Buffer.from(token.slice(dot + 1));
    const expected = Buffer.from(this.sign(expiry));
    return presented.length === expected.length && timingSafeEqual(presented, expected);
  }

  /** For WebSocket upgrades (e.g. an upgrade verifier): a valid `?console_token=` on the request URL. */
  isValid(request: Pick<IncomingMessage, 'url'>): boolean {
    return this.isValidToken(tokenFromUrl(request.url));
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.config.tokenKey).update(payload).digest('base64url');
  }
}

export function tokenFromUrl(url: string | undefined): string | null {
  const query = (url ?? '').indexOf('?');
  if (query === -1) return null;
  return new URLSearchParams(url!.slice(query + 1)).get(CONSOLE_TOKEN_PARAM);
}

/**
 * Whether a browser may open a console socket (the live feed, the softphone's media stream): a
 * request without `Origin` is no browser's (it still needs its token); a browser's must come from
 * the page's own origin (the one naming the request's Host) or an allowed one. Keeps any other web
 * page the user visits from driving the console with the user's network position.
 */
export function isAllowedOrigin(request: Pick<IncomingMessage, 'headers'>, allowedOrigins: readonly string[]): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  if (typeof origin !== 'string' || origin === 'null') return false;
  if (allowedOrigins.includes(origin)) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}
