import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { CALL_RECORDS_OPTIONS } from '../call-records.module-definition';
import type { CallRecordsModuleOptions } from '../call-records.module-definition';
import { backoffDelay, isRetryableStatus } from '../delivery/backoff';
import { OUTBOX_JOB_PREFIX, OutboxJobs } from './outbox-jobs';
import type { OutboxJob, OutboxOutcome } from './outbox-jobs';
import { OUTBOX_DELIVERY_TRACER } from './outbox-delivery-tracer';
import type { OutboxAttemptOutcome, OutboxDeliveryTracer } from './outbox-delivery-tracer';
import type { OutboxSigner } from './outbox-signers';
import { OutboxSigners } from './outbox-signers';
import { OutboxDelivery, OutboxStore } from './outbox.store';

const REQUEST_TIMEOUT_MS = 10_000;
/** A claim holds a message this long: well above one attempt, so only a dead instance's claims lapse. */
export const OUTBOX_LEASE_MS = 30_000;
/** How often an idle instance looks for due messages (it also looks at once after publishing one). */
export const OUTBOX_POLL_MS = 1000;
/** Attempts one instance makes at once: a backlog drains at this pace instead of in one burst on the receivers and the store. */
export const OUTBOX_MAX_IN_FLIGHT = 16;
/** A message this instance has no signer or job for is put back, due again after this long (time for an instance that has it). */
export const OUTBOX_HAND_OFF_MS = 5000;
/** A message kind this instance cannot handle is logged at most this often. */
const HAND_OFF_LOG_INTERVAL_MS = 60_000;
/** At shutdown, attempts under way get this long to finish. */
const SHUTDOWN_GRACE_MS = 5000;

/** What an attempt's answer means (done, try again later, or never again), with the receiver's HTTP status when it answered. */
type Outcome = OutboxOutcome & { status?: number };

/** How this instance makes a claimed message's attempt: its job, or its signer for the POST. */
type Handler = { job: OutboxJob } | { signer: OutboxSigner };

/**
 * Delivers the outbox on every instance: claims due messages (so each attempt is made by one
 * instance), POSTs each to its destination with its signer's headers, and records the outcome in
 * the store. At least once: a message is removed only after a 2xx, an attempt cut short by a dying
 * instance is made again by another once its claim lapses, and every attempt carries the message's
 * stable id. Retries (network errors, timeouts, 408, 429, 5xx) back off from `retryInitialMs` up to
 * `webhookMaxAttempts`; redirects are never followed (the signed body would go elsewhere), and
 * other answers are not retried. At most OUTBOX_MAX_IN_FLIGHT attempts run at once; a message this
 * instance has no signer or job for (a rolling deploy, a feature being switched on) is left to
 * another instance without counting an attempt.
 */
@Injectable()
export class OutboxDispatcher {
  private readonly logger = new Logger('Outbox');
  private readonly inFlight = new Set<Promise<void>>();
  private pollTimer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  /** The last claim took all it asked for: more may be due, so a finished attempt looks again at once. */
  private backlog = false;
  /** When each signer or job this instance lacks was last logged. */
  private readonly handOffLogged = new Map<string, number>();
  private started = false;
  private closed = false;
  private storeFailures = 0;
  /** Tests shorten these. */
  pollMs = OUTBOX_POLL_MS;
  leaseMs = OUTBOX_LEASE_MS;
  handOffMs = OUTBOX_HAND_OFF_MS;

  constructor(
    private readonly store: OutboxStore,
    private readonly signers: OutboxSigners,
    @Inject(CALL_RECORDS_OPTIONS) private readonly config: CallRecordsModuleOptions,
    private readonly jobs: OutboxJobs = new OutboxJobs(),
    @Optional() @Inject(OUTBOX_DELIVERY_TRACER) private readonly tracer?: OutboxDeliveryTracer,
  ) {}

  /** Starts polling (only when some signer or job is registered: nothing else could be delivered). */
  start(): void {
    if (this.started || this.closed || (this.signers.size === 0 && this.jobs.size === 0)) return;
    this.started = true;
    this.schedule(0);
  }

  /** Looks for due messages now (a message was just published). */
  wake(): void {
    if (!this.started || this.closed) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  /** Stops claiming; attempts under way get a few seconds (a message they leave behind is retried by another instance). */
  async shutdown(): Promise<void> {
    this.closed = true;
    clearTimeout(this.pollTimer);
    await this.running;
    if (this.inFlight.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.inFlight]), new Promise((resolve) => (timer = setTimeout(resolve, SHUTDOWN_GRACE_MS)))]);
    clearTimeout(timer);
    if (this.inFlight.size > 0) this.logger.warn(`${this.inFlight.size} webhook delivery(ies) still under way at shutdown; another instance retries them`);
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.pollTimer);
    this.pollTimer = setTimeout(() => {
      this.running = this.poll().finally(() => {
        this.running = undefined;
        if (this.closed) return;
        const again = this.again;
        this.again = false;
        this.schedule(again ? 0 : this.pollMs);
      });
    }, delayMs);
    this.pollTimer.unref();
  }

  private async poll(): Promise<void> {
    const room = OUTBOX_MAX_IN_FLIGHT - this.inFlight.size;
    if (room <= 0) {
      // Due messages wait for a free slot: the next finished attempt looks again.
      this.backlog = true;
      return;
    }
    let claimed: OutboxDelivery[];
    try {
      claimed = await this.store.claimDue(room, this.leaseMs);
    } catch (error) {
      this.reportStoreFailure(error);
      return;
    }
    if (this.storeFailures > 0) {
      this.logger.log(`the webhook outbox is readable again; deliveries resume`);
      this.storeFailures = 0;
    }
    this.backlog = claimed.length === room;
    const handOff: OutboxDelivery[] = [];
    for (const delivery of claimed) {
      const handler = this.handlerOf(delivery);
      if (handler) this.track(this.attempt(delivery, handler));
      else handOff.push(delivery);
    }
    if (handOff.length > 0) await this.handOff(handOff);
    // Room left after a full claim (attempts already finished): look again now. Not after handing
    // some off: running through a backlog meant for other instances would keep pushing it back.
    else if (this.backlog && this.inFlight.size < OUTBOX_MAX_IN_FLIGHT) this.again = true;
  }

  private handlerOf(delivery: OutboxDelivery): Handler | undefined {
    if (delivery.destination.startsWith(OUTBOX_JOB_PREFIX)) {
      const job = this.jobs.get(delivery.destination.slice(OUTBOX_JOB_PREFIX.length));
      return job && { job };
    }
    const signer = this.signers.get(delivery.signer);
    return signer && { signer };
  }

  /** Puts back messages this instance cannot handle, unattempted and due a little later, so an instance that can takes them. */
  private async handOff(deliveries: OutboxDelivery[]): Promise<void> {
    for (const delivery of deliveries) {
      const isJob = delivery.destination.startsWith(OUTBOX_JOB_PREFIX);
      const missing = isJob ? `job "${delivery.destination.slice(OUTBOX_JOB_PREFIX.length)}"` : `signer "${delivery.signer}"`;
      const now = Date.now();
      const logged = this.handOffLogged.get(missing);
      if (logged !== undefined && now - logged < HAND_OFF_LOG_INTERVAL_MS) continue;
      this.handOffLogged.set(missing, now);
      this.logger.warn(`outbox messages for ${missing} are left to other instances: there is none on this one (a rolling deploy or a feature not enabled here); they stay pending until an instance that has it takes them`);
    }
    try {
      await this.store.release(deliveries.map((delivery) => delivery.id), this.handOffMs);
    } catch (error) {
      // The claims lapse with their lease instead (counting the attempt).
      this.reportStoreFailure(error);
    }
  }

  private track(attempt: Promise<void>): void {
    this.inFlight.add(attempt);
    void attempt.finally(() => {
      this.inFlight.delete(attempt);
      if (this.backlog) this.wake();
    });
  }

  private async attempt(delivery: OutboxDelivery, handler: Handler): Promise<void> {
    const isJob = 'job' in handler;
    const finished = this.traceAttempt(delivery);
    const outcome: Outcome = isJob ? await this.runJob(delivery, handler.job) : await this.send(delivery, handler.signer);
    finished?.({ result: outcome.kind, status: outcome.status });
    const label = `${isJob ? 'job' : 'webhook delivery'} ${delivery.type} ${delivery.id} (attempt ${delivery.attempt}/${this.config.webhookMaxAttempts})`;
    try {
      if (outcome.kind === 'delivered') return await this.store.delivered(delivery.id);
      if (outcome.kind === 'retry' && delivery.attempt < this.config.webhookMaxAttempts) {
        this.logger.warn(`${label} failed (${outcome.problem}); retrying`);
        return await this.store.retryLater(delivery.id, backoffDelay(this.config.retryInitialMs, delivery.attempt), outcome.problem);
      }
      this.logger.error(`${label} given up: ${outcome.problem}`);
      await this.store.giveUp(delivery.id, outcome.problem);
    } catch (error) {
      // The claim lapses and the message is tried again: at least once, never lost.
      this.reportStoreFailure(error);
    }
  }

  /** One attempt at a job message: the registered job runs it (a throw counts as a failure to retry). */
  private async runJob(delivery: OutboxDelivery, job: OutboxJob): Promise<OutboxOutcome> {
    try {
      return await job.run(delivery, delivery.attempt >= this.config.webhookMaxAttempts);
    } catch (error) {
      return { kind: 'retry', problem: error instanceof Error ? error.message : String(error) };
    }
  }

  /** One delivery attempt: a signed POST to the message's destination, and what its answer means. */
  private async send(delivery: OutboxDelivery, signer: OutboxSigner): Promise<Outcome> {
    try {
      const response = await fetch(delivery.destination, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'voice-gateway-webhooks',
          ...signer.headers({ id: delivery.id, body: delivery.body, timestamp: Date.now() }),
        },
        body: delivery.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      await response.body?.cancel().catch(() => undefined);
      const status = response.status;
      if (response.ok) return { kind: 'delivered', status };
      const problem = `HTTP ${status}`;
      if (status >= 300 && status < 400) return { kind: 'give-up', problem: `${problem}: redirects are not followed`, status };
      if (isRetryableStatus(status)) return { kind: 'retry', problem, status };
      return { kind: 'give-up', problem, status };
    } catch (error) {
      return { kind: 'retry', problem: error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error) };
    }
  }

  /** The tracer's hook for this attempt, never throwing. */
  private traceAttempt(delivery: OutboxDelivery): ((outcome: OutboxAttemptOutcome) => void) | undefined {
    if (!this.tracer) return undefined;
    try {
      const finished = this.tracer.attemptStarted({ id: delivery.id, type: delivery.type, attempt: delivery.attempt, destination: delivery.destination });
      return (outcome) => {
        try {
          finished(outcome);
        } catch (error) {
          this.logger.warn(`delivery tracer failed: ${error instanceof Error ? error.message : String(error)}`);
        }
      };
    } catch (error) {
      this.logger.warn(`delivery tracer failed: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
  }

  private reportStoreFailure(error: unknown): void {
    this.storeFailures++;
    if (this.storeFailures === 1 || this.storeFailures % 30 === 0) {
      this.logger.warn(`cannot reach the webhook outbox (attempt ${this.storeFailures}): ${error instanceof Error ? error.message : String(error)}; deliveries wait`);
    }
  }
}
