import { Inject, Injectable } from '@nestjs/common';
import { createHmac } from 'node:crypto';
import { CALL_RECORDS_OPTIONS } from '../call-records.module-definition';
import type { CallRecordsModuleOptions } from '../call-records.module-definition';
import { OutboxPublisher } from '../outbox/outbox-publisher';
import { OutboxSigner, OutboxSigners } from '../outbox/outbox-signers';
import type { CallRecord } from '../record/call-record';

export const WEBHOOK_SIGNATURE_HEADER = 'x-call-record-signature';
export const WEBHOOK_TIMESTAMP_HEADER = 'x-call-record-timestamp';
/** The same on every attempt of one record's delivery: receivers deduplicate on it. */
export const WEBHOOK_DELIVERY_ID_HEADER = 'x-call-record-delivery-id';
/** The outbox message type and signer name of record webhooks. */
export const CALL_RECORD_EVENT = 'call.record';

/** `sha256=` + hex HMAC-SHA256 of `<timestamp>.<raw body>` with the shared secret. */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/** Signs record webhooks: Unix-seconds timestamp, HMAC signature over it and the body, and the delivery id. */
export function callRecordSigner(secret: string): OutboxSigner {
  return {
    headers({ id, body, timestamp }) {
      const seconds = String(Math.floor(timestamp / 1000));
      return { [WEBHOOK_TIMESTAMP_HEADER]: seconds, [WEBHOOK_SIGNATURE_HEADER]: signWebhook(secret, seconds, body), [WEBHOOK_DELIVERY_ID_HEADER]: id };
    },
  };
}

/**
 * The record webhook: each finished record goes into the durable outbox (delivered by any
 * instance, at least once, retried across restarts), signed with the webhook secret.
 */
@Injectable()
export class CallRecordWebhook {
  constructor(
    private readonly outbox: OutboxPublisher,
    signers: OutboxSigners,
    @Inject(CALL_RECORDS_OPTIONS) private readonly config: CallRecordsModuleOptions,
  ) {
    if (this.enabled) signers.register(CALL_RECORD_EVENT, callRecordSigner(config.webhookSecret!));
  }

  get enabled(): boolean {
    return Boolean(this.config.webhookUrl && this.config.webhookSecret);
  }

  /** Queues the record's delivery; returns its delivery id (undefined when the webhook is off). */
  deliver(record: CallRecord): string | undefined {
    if (!this.enabled) return undefined;
    return this.outbox.publish({ type: CALL_RECORD_EVENT, destination: this.config.webhookUrl!, signer: CALL_RECORD_EVENT, body: JSON.stringify(record) });
  }
}
