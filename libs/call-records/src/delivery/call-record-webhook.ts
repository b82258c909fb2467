import { Inject, Injectable, Logger } from '@nestjs/common';
import { createHmac } from 'node:crypto';
import { CALL_RECORDS_OPTIONS } from '../call-records.module-definition';
import type { CallRecordsModuleOptions } from '../call-records.module-definition';
import type { CallRecord } from '../record/call-record';
import { backoffDelay } from './backoff';

export const WEBHOOK_SIGNATURE_HEADER = 'x-call-record-signature';
export const WEBHOOK_TIMESTAMP_HEADER = 'x-call-record-timestamp';
const REQUEST_TIMEOUT_MS = 10_000;

/** `sha256=` + hex HMAC-SHA256 of `<timestamp>.<raw body>` with the shared secret. */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/**
 * POSTs each finished record to the webhook URL, signed, retrying with backoff on network errors,
 * 5xx, 408 and 429 up to `webhookMaxAttempts`. Independent of the database.
 */
@Injectable()
export class CallRecordWebhook {
  private readonly logger = new Logger(CallRecordWebhook.name);
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;

  constructor(@Inject(CALL_RECORDS_OPTIONS) private readonly config: CallRecordsModuleOptions) {}

  get enabled(): boolean {
    return Boolean(this.config.webhookUrl && this.config.webhookSecret);
  }

  deliver(record: CallRecord): void {
    if (!this.enabled || this.closed) return;
    this.track(this.attempt(record.callSid, JSON.stringify(record), 1));
  }

  /** Lets requests under way finish (up to 5 s) and abandons scheduled retries (called by CallRecorder at shutdown). */
  async shutdown(): Promise<void> {
    this.closed = true;
    if (this.inFlight.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled([...this.inFlight]), new Promise((resolve) => (timer = setTimeout(resolve, 5000)))]);
      clearTimeout(timer);
    }
    for (const timer of this.timers) clearTimeout(timer);
    if (this.timers.size > 0) this.logger.warn(`${this.timers.size} call record webhook delivery(ies) abandoned at shutdown`);
    this.timers.clear();
  }

  private schedule(callSid: string, body: string, attempt: number, delayMs: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.track(this.attempt(callSid, body, attempt));
    }, delayMs);
    this.timers.add(timer);
  }

  private track(delivery: Promise<void>): void {
    this.inFlight.add(delivery);
    void delivery.finally(() => this.inFlight.delete(delivery));
  }

  private async attempt(callSid: string, body: string, attempt: number): Promise<void> {
    if (this.closed) return;
    const timestamp = String(Math.floor(Date.now() / 1000));
    let problem: string;
    let retryable = true;
    try {
      const response = await fetch(this.config.webhookUrl!, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'voice-gateway-call-records',
          [WEBHOOK_TIMESTAMP_HEADER]: timestamp,
          [WEBHOOK_SIGNATURE_HEADER]: signWebhook(this.config.webhookSecret!, timestamp, body),
        },
        body,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      await response.body?.cancel().catch(() => undefined);
      if (response.ok) return;
      problem = `HTTP ${response.status}`;
      retryable = response.status >= 500 || response.status === 408 || response.status === 429;
    } catch (error) {
      problem = error instanceof Error ? error.message : String(error);
    }
    if (retryable && attempt < this.config.webhookMaxAttempts && !this.closed) {
      this.logger.warn(`call record webhook for ${callSid} failed (${problem}); retry ${attempt + 1}/${this.config.webhookMaxAttempts}`);
      this.schedule(callSid, body, attempt + 1, backoffDelay(this.config.retryInitialMs, attempt));
    } else {
      this.logger.error(`call record webhook for ${callSid} given up after ${attempt} attempt(s): ${problem}`);
    }
  }
}
