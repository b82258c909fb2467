import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** A verified warm-transfer ticket: the call it belongs to and the conference room both legs meet in. */
export interface TransferTicket {
  /** The whole ticket, as it travels in the callback URLs. */
  id: string;
  /** The caller's CallSid (the call being transferred). */
  callSid: string;
  /** The conference room of this transfer, derived from the ticket. */
  room: string;
  /** Epoch milliseconds after which the ticket is refused. */
  expiresAt: number;
}

/** `wt1.<CallSid>.<expiry, epoch seconds>.<nonce, 9 random bytes>.<HMAC-SHA256>`, base64url. */
const FORMAT = /^wt1\.(CA[0-9a-zA-Z]{32})\.(\d{10,12})\.([A-Za-z0-9_-]{12})\.([A-Za-z0-9_-]{43})$/;

/**
 * Warm-transfer tickets: the id in the URLs of the human leg's callbacks (answer and status). An
 * HMAC-SHA256 under the gateway's transfer key over the caller's CallSid, an expiry and a nonce, so
 * no pod needs storage to check one and none can be forged, moved to another call or extended.
 */
export class TransferTickets {
  constructor(private readonly key: Buffer) {}

  mint(callSid: string, ttlMs: number, now = Date.now()): TransferTicket {
    if (!/^CA[0-9a-zA-Z]{32}$/.test(callSid)) throw new Error('a warm transfer needs the Twilio CallSid of the call');
    const expiry = Math.ceil((now + ttlMs) / 1000);
    const head = `wt1.${callSid}.${expiry}.${randomBytes(9).toString('base64url')}`;
    return this.parse(`${head}.${this.mac(head)}`, now)!;
  }

  /** The ticket when `id` is one this gateway signed and it has not expired; otherwise undefined. */
  verify(id: string | undefined, now = Date.now()): TransferTicket | undefined {
    if (typeof id !== 'string' || id.length > 140) return undefined;
    const parts = FORMAT.exec(id);
    if (!parts) return undefined;
    const head = id.slice(0, id.lastIndexOf('.'));
    const expected = Buffer.from(this.mac(head));
    const presented = Buffer.from(parts[4]);
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return undefined;
    return this.parse(id, now);
  }

  private parse(id: string, now: number): TransferTicket | undefined {
    const parts = FORMAT.exec(id)!;
    const expiresAt = Number(parts[2]) * 1000;
    if (expiresAt <= now) return undefined;
    return { id, callSid: parts[1], room: `warm-transfer-${parts[3]}`, expiresAt };
  }

  private mac(head: string): string {
    return createHmac('sha256', this.key).update(head).digest('base64url');
  }
}
