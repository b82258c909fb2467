import { standardWebhookHeaders } from '@app/auth';
import type { OutboxSigner } from '../outbox/outbox-signers';

/** The outbox signer name of lifecycle webhooks. */
export const STANDARD_WEBHOOK_SIGNER = 'standard-webhooks';

/**
 * Signs each attempt per Standard Webhooks: `webhook-id` is the outbox message id, `webhook-timestamp`
 * the attempt's Unix seconds, `webhook-signature` one `v1,` signature per key, space-separated (the
 * current key first, then previous ones while receivers move to the new key).
 */
export function standardWebhookSigner(keys: readonly Buffer[]): OutboxSigner {
  if (keys.length === 0) throw new Error('a Standard Webhooks signer needs at least one key');
  return {
    headers: ({ id, body, timestamp }) => standardWebhookHeaders(keys, id, Math.floor(timestamp / 1000), body),
  };
}
