import { createHmac, timingSafeEqual } from 'node:crypto';

/** Standard Webhooks headers: the message id, its Unix-seconds timestamp, and the signatures. */
export const STANDARD_WEBHOOK_ID_HEADER = 'webhook-id';
export const STANDARD_WEBHOOK_TIMESTAMP_HEADER = 'webhook-timestamp';
export const STANDARD_WEBHOOK_SIGNATURE_HEADER = 'webhook-signature';

/**
 * The HMAC key of a Standard Webhooks secret: a `whsec_` secret is its base64 part decoded (the
 * form Standard Webhooks libraries issue); any other string is used as its UTF-8 bytes.
 */
export function standardWebhookKey(secret: string): Buffer {
  if (secret.startsWith('whsec_')) return Buffer.from(secret.slice('whsec_'.length), 'base64');
  return Buffer.from(secret, 'utf8');
}

/** `v1,` + base64 HMAC-SHA256 of `<id>.<timestamp>.<body>`: the `webhook-signature` header value. */
export function signStandardWebhook(key: Buffer, id: string, timestampSeconds: number, body: string): string {
  return 'v1,' + createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64');
}

/** The three headers of one signed message. */
export function standardWebhookHeaders(key: Buffer, id: string, timestampSeconds: number, body: string): Record<string, string> {
  return {
    [STANDARD_WEBHOOK_ID_HEADER]: id,
    [STANDARD_WEBHOOK_TIMESTAMP_HEADER]: String(timestampSeconds),
    [STANDARD_WEBHOOK_SIGNATURE_HEADER]: signStandardWebhook(key, id, timestampSeconds, body),
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
  const expected = Buffer.from(signStandardWebhook(key, id, Number(timestamp), body));
  return signature.split(' ').some((candidate) => {
    const given = Buffer.from(candidate);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
