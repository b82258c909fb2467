import { Inject, Injectable } from '@nestjs/common';
import { CALL_RECORDS_OPTIONS } from '../call-records.module-definition';
import type { CallRecordsModuleOptions } from '../call-records.module-definition';
import { OutboxPublisher } from '../outbox/outbox-publisher';
import { OutboxSigners } from '../outbox/outbox-signers';
import { webhookSigningKey } from '@app/auth';
import { STANDARD_WEBHOOK_SIGNER, standardWebhookSigner } from './standard-webhooks';
import type { WebhookEventType } from './webhook-events';

/** The body of every lifecycle webhook, per Standard Webhooks. */
export interface WebhookEnvelope<T = unknown> {
  type: WebhookEventType;
  /** When the event happened (ISO-8601 UTC). */
  timestamp: string;
  data: T;
}

/**
 * Lifecycle webhooks (Standard Webhooks scheme): each selected event goes into the durable outbox
 * as `{type, timestamp, data}`, for CALL_RECORD_WEBHOOK_URL, and every attempt is signed with the
 * webhook secret (and any previous ones). Off unless a URL and a secret are configured and the
 * scheme is `standard`; only the events of `webhookEvents` are sent.
 */
@Injectable()
export class LifecycleWebhooks {
  private readonly selected: ReadonlySet<WebhookEventType>;

  constructor(
    private readonly outbox: OutboxPublisher,
    signers: OutboxSigners,
    @Inject(CALL_RECORDS_OPTIONS) private readonly config: CallRecordsModuleOptions,
  ) {
    this.selected = new Set(config.webhookEvents ?? ['call.ended']);
    if (this.enabled) {
      const keys = [config.webhookSecret!, ...(config.webhookPreviousSecrets ?? [])].map(webhookSigningKey);
      signers.register(STANDARD_WEBHOOK_SIGNER, standardWebhookSigner(keys));
    }
  }

  get enabled(): boolean {
    return Boolean(this.config.webhookUrl && this.config.webhookSecret) && (this.config.webhookScheme ?? 'standard') === 'standard';
  }

  /** Whether events of this type are sent. */
  wants(type: WebhookEventType): boolean {
    return this.enabled && this.selected.has(type);
  }

  /**
   * Queues the event when it is selected; returns its webhook-id (undefined when not sent). `id`:
   * a deterministic webhook-id, for an event a retried job may publish again (the outbox keeps the first).
   */
  publish<T>(type: WebhookEventType, data: T, at: number = Date.now(), id?: string): string | undefined {
    if (!this.wants(type)) return undefined;
    const envelope: WebhookEnvelope<T> = { type, timestamp: new Date(at).toISOString(), data };
    return this.outbox.publish({ id, type, destination: this.config.webhookUrl!, signer: STANDARD_WEBHOOK_SIGNER, body: JSON.stringify(envelope) });
  }
}
