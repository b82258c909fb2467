import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Standard Webhooks signing (the scheme OpenAI uses for its own webhooks): the message id (stable
 * across retries), the attempt's Unix seconds, and one or more `v1,` signatures.
 */
export const STANDARD_WEBHOOK_ID_HEADER = 'webhook-id';
export const STANDARD_WEBHOOK_TIMESTAMP_HEADER = 'webhook-timestamp';
export const STANDARD_WEBHOOK_SIGNATURE_HEADER = 'webhook-signature';

const WHSEC_PREFIX = 'whsec_';

/**
 * The HMAC key of a webhook secret: a `whsec_<base64>` secret is the base64-decoded bytes after
 * the prefix (as the Standard Webhooks specification and its libraries read it); any other secret
 * is used as its raw UTF-8 bytes.
 */
export function webhookSigningKey(secret: string): Buffer {
  if (secret.startsWith(WHSEC_PREFIX)) {
    const encoded = secret.slice(WHSEC_PREFIX.length);
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) throw new Error('a whsec_ webhook secret must be base64 after the prefix');
    return Buffer.from(encoded, 'base64');
  }
  return Buffer.from(secret, 'utf8');
}

/** `v1,` + base64(HMAC-SHA256(key, `<id>.<timestamp>.<body>`)): one Standard Webhooks signature. */
export function signStandardWebhook(key: Buffer, id: string, timestampSeconds: number | string, body: string): string {
  return 'v1,' + createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64');
}

/** The three headers of one signed message; one signature per key, space-separated (the current key first). */
export function standardWebhookHeaders(keys: Buffer | readonly Buffer[], id: string, timestampSeconds: number, body: string): Record<string, string> {
  const all = Buffer.isBuffer(keys) ? [keys] : keys;
  return {
    [STANDARD_WEBHOOK_ID_HEADER]: id,
    [STANDARD_WEBHOOK_TIMESTAMP_HEADER]: String(timestampSeconds),
    [STANDARD_WEBHOOK_SIGNATURE_HEADER]: all.map((key) => signStandardWebhook(key, id, timestampSeconds, body)).join(' '),
  };
}

/**
 * True when one of the space-separated `v1,` signatures matches (constant-time) and the timestamp
 * is within `toleranceSeconds` of `nowSeconds` (replays of old messages are refused).
 */
export function verifyStandardWebhook(
  key: Buffer,
  headers: { id?: string; timestamp?: string; signature?: string },
  body: string,
  nowSeconds = Math.floor(Date.now() / 1000),
  toleranceSeconds = 300,
): boolean {
  const { id, timestamp, signature } = headers;
  if (!id || !timestamp || !signature || !/^\d+$/.test(timestamp)) return false;
  if (Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) return false;
  const expected = Buffer.from(signStandardWebhook(key, id, timestamp, body));
  return signature.split(' ').some((candidate) => {
    const given = Buffer.from(candidate);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
