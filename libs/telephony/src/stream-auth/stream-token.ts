import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Who a media stream's token was minted for: a Twilio call (by the voice webhook) or the console's
 * browser softphone (by the console). Each kind has its own key and prefix.
 */
export type StreamTokenKind = 'twilio' | 'softphone';

/** What a token is bound to; the stream's `start` must match all of it. */
export interface StreamTokenBinding {
  callSid: string;
  /** Twilio's AccountSid (empty for the softphone). */
  accountSid: string;
  /** SHA-256 (base64url) of the sealed call context the TwiML carried; empty when none. */
  contextDigest: string;
}

export type StreamTokenCheck =
  | { ok: true; id: string; expiresAt: number }
  | { ok: false; reason: 'malformed-token' | 'wrong-kind' | 'not-valid-for-call' | 'expired' };

const PREFIX: Record<StreamTokenKind, string> = { twilio: 'st1', softphone: 'sp1' };
/** `<prefix>.<expiry, epoch seconds>.<id, 12 random bytes>.<HMAC-SHA256>`, base64url throughout. */
const FORMAT = /^(st1|sp1)\.(\d{10,12})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{43})$/;

/**
 * Per-call stream tokens. A token is an HMAC-SHA256, under the key of its kind, over its prefix,
 * expiry and id and over the call it is bound to (CallSid, AccountSid, the digest of the call
 * context), so it cannot be moved to another call, extended or forged; its random id lets it be
 * used once. It needs no storage to check, so any pod that shares the signing secret accepts it.
 */
export class StreamTokens {
  constructor(private readonly keys: Readonly<Record<StreamTokenKind, Buffer>>) {}

  mint(kind: StreamTokenKind, binding: StreamTokenBinding, ttlMs: number, now = Date.now()): { token: string; id: string; expiresAt: number } {
    const expirySeconds = Math.ceil((now + ttlMs) / 1000);
    const id = randomBytes(12).toString('base64url');
    const head = `${PREFIX[kind]}.${expirySeconds}.${id}`;
    return { token: `${head}.${this.mac(kind, head, binding)}`, id, expiresAt: expirySeconds * 1000 };
  }

  /** The kind a token claims to be (unchecked), or undefined when it is not a stream token at all. */
  kindOf(token: string | undefined): StreamTokenKind | undefined {
    const prefix = typeof token === 'string' ? token.slice(0, 4) : '';
    if (prefix === 'st1.') return 'twilio';
    if (prefix === 'sp1.') return 'softphone';
    return undefined;
  }

  /** Checks the token's form, kind, signature over `binding`, and expiry (in that order). */
  check(token: string | undefined, kind: StreamTokenKind, binding: StreamTokenBinding, now = Date.now()): StreamTokenCheck {
    const parts = typeof token === 'string' && token.length < 120 ? FORMAT.exec(token) : null;
    if (!parts) return { ok: false, reason: 'malformed-token' };
    if (parts[1] !== PREFIX[kind]) return { ok: false, reason: 'wrong-kind' };
    const head = `${parts[1]}.${parts[2]}.${parts[3]}`;
    const expected = Buffer.from(this.mac(kind, head, binding));
    const presented = Buffer.from(parts[4]);
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return { ok: false, reason: 'not-valid-for-call' };
    const expiresAt = Number(parts[2]) * 1000;
    if (expiresAt <= now) return { ok: false, reason: 'expired' };
    return { ok: true, id: parts[3], expiresAt };
  }

  private mac(kind: StreamTokenKind, head: string, binding: StreamTokenBinding): string {
    return createHmac('sha256', this.keys[kind])
      .update(`${head}\n${binding.callSid}\n${binding.accountSid}\n${binding.contextDigest}`)
      .digest('base64url');
  }
}
