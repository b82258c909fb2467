import { createHmac } from 'node:crypto';

/**
 * What a key signs. Each purpose gets its own key, derived from the one gateway secret, so a token
 * of one kind can never pass for another (a console token is no stream token).
 */
export type SigningPurpose = 'stream-token' | 'softphone-token' | 'call-context' | 'console-token' | 'transfer-ticket';

/** The per-purpose keys the application hands the libraries (every pod derives the same ones from the same secret). */
export type SigningKeys = Readonly<Record<SigningPurpose, Buffer>>;

const PURPOSES: readonly SigningPurpose[] = ['stream-token', 'softphone-token', 'call-context', 'console-token', 'transfer-ticket'];

/** HMAC-SHA256(secret, label): a 32-byte key per purpose (an HKDF-Expand with one block). */
export function deriveSigningKey(secret: string | Buffer, purpose: SigningPurpose): Buffer {
  return createHmac('sha256', secret).update(`voice-gateway/${purpose}/v1`).digest();
}

/** Every purpose's key, derived from `secret`. */
export function deriveSigningKeys(secret: string | Buffer): SigningKeys {
  return Object.fromEntries(PURPOSES.map((purpose) => [purpose, deriveSigningKey(secret, purpose)])) as Record<SigningPurpose, Buffer>;
}
