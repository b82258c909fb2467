import { Injectable } from '@nestjs/common';
import type { OutboxDelivery } from './outbox.store';

/** What one attempt's answer means: done, try again later, or never again. */
export type OutboxOutcome = { kind: 'delivered' } | { kind: 'retry'; problem: string } | { kind: 'give-up'; problem: string };

/** Outbox messages whose destination starts with this are jobs this instance runs, not HTTP deliveries. */
export const OUTBOX_JOB_PREFIX = 'job:';
/** The signer name stored with job messages (a job is not signed). */
export const OUTBOX_JOB_SIGNER = 'job';

/**
 * Work that must survive the instance that asked for it (e.g. the post-call analysis): queued in
 * the durable outbox with destination `job:<name>`, claimed and run by any instance that registered
 * the job, retried with the outbox's backoff. `lastAttempt`: no retry follows a failure of this one.
 */
export interface OutboxJob {
  run(delivery: OutboxDelivery, lastAttempt: boolean): Promise<OutboxOutcome>;
}

/** The jobs this instance runs, by name. */
@Injectable()
export class OutboxJobs {
  private readonly jobs = new Map<string, OutboxJob>();

  register(name: string, job: OutboxJob): void {
    this.jobs.set(name, job);
  }

  get(name: string): OutboxJob | undefined {
    return this.jobs.get(name);
  }

  get size(): number {
    return this.jobs.size;
  }
}
