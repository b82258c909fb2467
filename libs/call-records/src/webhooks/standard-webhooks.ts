import { createHmac } from 'node:crypto';
import type { OutboxSigner } from '../outbox/outbox-signers';

/** Standard Webhooks headers: the message id (stable across retries), the attempt's Unix seconds, and the signatures. */
export const STANDARD_WEBHOOK_ID_HEADER = 'webhook-id';
export const STANDARD_WEBHOOK_TIMESTAMP_HEADER = 'webhook-timestamp';
export const STANDARD_WEBHOOK_SIGNATURE_HEADER = 'webhook-signature';
/** The outbox signer name of lifecycle webhooks. */
export const STANDARD_WEBHOOK_SIGNER = 'standard-webhooks';

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

/**
 * Signs each attempt per Standard Webhooks: `webhook-id` is the outbox message id, `webhook-timestamp`
 * the attempt's Unix seconds, `webhook-signature` one `v1,` signature per key, space-separated (the
 * current key first, then previous ones while receivers move to the new key).
 */
export function standardWebhookSigner(keys: readonly Buffer[]): OutboxSigner {
  if (keys.length === 0) throw new Error('a Standard Webhooks signer needs at least one key');
  return {
    headers({ id, body, timestamp }) {
      const seconds = String(Math.floor(timestamp / 1000));
      return {
        [STANDARD_WEBHOOK_ID_HEADER]: id,
        [STANDARD_WEBHOOK_TIMESTAMP_HEADER]: seconds,
        [STANDARD_WEBHOOK_SIGNATURE_HEADER]: keys.map((key) => signStandardWebhook(key, id, seconds, body)).join(' '),
      };
    },
  };
}
