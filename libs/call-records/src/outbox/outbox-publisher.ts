import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { CALL_RECORDS_OPTIONS } from '../call-records.module-definition';
import type { CallRecordsModuleOptions } from '../call-records.module-definition';
import { backoffDelay } from '../delivery/backoff';
import { OutboxDispatcher } from './outbox-dispatcher';
import { OutboxMessage, OutboxStore } from './outbox.store';

/** Messages held in memory while the database is unreachable; beyond this the oldest is dropped (logged). */
const MAX_WAITING = 10_000;

/**
 * Puts webhook messages into the durable outbox, off the caller's path: `publish()` returns at
 * once; a background loop writes them, keeping them in memory and retrying with backoff while the
 * database is down. Once a message is in the outbox any instance delivers it.
 */
@Injectable()
export class OutboxPublisher {
  private readonly logger = new Logger('Outbox');
  private readonly waiting: OutboxMessage[] = [];
  private flushing?: Promise<void>;
  private retryTimer?: NodeJS.Timeout;
  private failures = 0;
  private closed = false;

  constructor(
    private readonly store: OutboxStore,
    private readonly dispatcher: OutboxDispatcher,
    @Inject(CALL_RECORDS_OPTIONS) private readonly config: CallRecordsModuleOptions,
  ) {}

  /** Messages not yet in the outbox. */
  get backlog(): number {
    return this.waiting.length;
  }

  /** Queues a message; its id (generated when absent) stays the same on every delivery attempt. */
  publish(message: Omit<OutboxMessage, 'id'> & { id?: string }): string {
    const id = message.id ?? randomUUID();
    this.waiting.push({ ...message, id });
    if (this.waiting.length > MAX_WAITING) {
      const dropped = this.waiting.shift()!;
      this.logger.error(`outbox backlog full: dropped ${dropped.type} ${dropped.id}`);
    }
    if (!this.retryTimer && !this.flushing && !this.closed) setImmediate(() => void this.flush());
    return id;
  }

  flush(): Promise<void> {
    this.flushing ??= this.writeWaiting().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  /** A last attempt at what waits (called at shutdown, before the store closes). */
  async shutdown(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    await this.flush();
    if (this.waiting.length > 0) this.logger.error(`${this.waiting.length} webhook message(s) could not be put in the outbox before shutdown`);
  }

  private async writeWaiting(): Promise<void> {
    while (this.waiting.length > 0) {
      const message = this.waiting[0];
      try {
        await this.store.enqueue(message);
      } catch (error) {
        this.failures++;
        if (this.failures === 1 || this.failures % 10 === 0) {
          this.logger.warn(`cannot write to the webhook outbox (${this.waiting.length} waiting, attempt ${this.failures}): ${describe(error)}`);
        }
        if (!this.closed) {
          this.retryTimer = setTimeout(() => {
            this.retryTimer = undefined;
            void this.flush();
          }, backoffDelay(this.config.retryInitialMs, this.failures));
        }
        return;
      }
      this.waiting.shift();
      if (this.failures > 0) {
        this.logger.log(`the webhook outbox is writable again after ${this.failures} failed attempt(s)`);
        this.failures = 0;
      }
      this.dispatcher.wake();
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
