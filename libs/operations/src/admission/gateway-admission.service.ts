import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { FleetBus, FleetCallLeases } from '@app/fleet';
import { LiveCalls } from '@app/orchestration';
import { AdmissionDecision, CallAdmission } from '@app/telephony';
import type { IncomingCallInfo, MediaStreamStart, StreamRefusal } from '@app/telephony';
import { GatewayMetrics } from '../metrics/gateway-metrics.service';
import { OPERATIONS_OPTIONS } from '../operations.module-definition';
import type { OperationsModuleOptions } from '../operations.module-definition';

/** How long a place reserved by the webhook waits for its stream (on this instance or another). */
export const RESERVATION_TTL_MS = 30_000;
/** Fleet bus topic: a stream started somewhere, so a place reserved for it elsewhere is free again. */
const STREAM_STARTED_TOPIC = 'admission.stream-started';

export type RefusalReason = 'draining' | 'at-capacity' | 'fleet-at-capacity' | 'stream-at-capacity';

/**
 * Whether this process takes new calls, decided where the caller can still be told.
 *
 * - **At the webhook** (soft cap): refused while draining, when live calls plus places reserved by
 *   answered webhooks reach `maxConcurrentCalls`, or when the fleet-wide cap is reached. An
 *   admitted webhook reserves a place at once (before any await), so two webhooks at the same moment
 *   cannot both take the last place; the reservation lapses when its stream starts (here or, told by
 *   the fleet bus, elsewhere) or after RESERVATION_TTL_MS.
 * - **At the stream's `start`**: served up to `maxConcurrentCalls + streamHeadroom` (streams whose
 *   webhook a less busy instance answered); beyond that the media-stream gateway redirects the call to
 *   the spoken refusal. Sockets without a valid `start` never count.
 *
 * Readiness reports the webhook's view, so the load balancer and the TwiML webhook agree.
 */
@Injectable()
export class GatewayAdmission extends CallAdmission implements OnModuleInit, OnApplicationShutdown {
  private draining = false;
  /** Places taken by answered webhooks whose stream has not started: CallSid → expiry. */
  private readonly reservations = new Map<string, number>();
  private unnamed = 0;
  private unsubscribe?: () => void;

  constructor(
    private readonly calls: LiveCalls,
    private readonly metrics: GatewayMetrics,
    private readonly leases: FleetCallLeases,
    private readonly bus: FleetBus,
    @Inject(OPERATIONS_OPTIONS) private readonly config: OperationsModuleOptions,
  ) {
    super();
  }

  onModuleInit(): void {
    this.unsubscribe = this.bus.subscribe(STREAM_STARTED_TOPIC, (message, from) => {
      const callSid = (message as { callSid?: unknown } | null)?.callSid;
      if (from !== this.bus.instanceId && typeof callSid === 'string') this.reservations.delete(callSid);
    });
  }

  onApplicationShutdown(): void {
    this.unsubscribe?.();
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /** Places reserved by answered webhooks, waiting for their stream. */
  get reserved(): number {
    const now = Date.now();
    for (const [callSid, expiresAt] of this.reservations) if (expiresAt <= now) this.reservations.delete(callSid);
    return this.reservations.size;
  }

  /** The webhook's soft cap: live calls plus reserved places. */
  get atCapacity(): boolean {
    const max = this.config.maxConcurrentCalls;
    return max !== undefined && this.calls.size + this.reserved >= max;
  }

  /** Why this process refuses new calls right now, or undefined when it takes them. */
  get refusalReason(): 'draining' | 'at-capacity' | undefined {
    if (this.draining) return 'draining';
    if (this.atCapacity) return 'at-capacity';
    return undefined;
  }

  startDraining(): void {
    this.draining = true;
  }

  async admit(call: IncomingCallInfo): Promise<AdmissionDecision> {
    const reason = this.refusalReason;
    if (reason) return this.refuse(reason);
    const callSid = call.callSid ?? `unnamed-${++this.unnamed}`;
    // Reserved synchronously, before the fleet check awaits: the next webhook already counts it.
    this.reservations.set(callSid, Date.now() + RESERVATION_TTL_MS);
    const fleetCap = this.config.fleetMaxConcurrentCalls;
    if (fleetCap !== undefined && (await this.leases.acquire(callSid, fleetCap)) === 'full') {
      // ('unavailable': shared state is down; the call is let in and the fallback counted.)
      this.reservations.delete(callSid);
      return this.refuse('fleet-at-capacity');
    }
    return { admitted: true };
  }

  override admitStream(start: MediaStreamStart): AdmissionDecision {
    this.reservations.delete(start.callSid);
    const max = this.config.maxConcurrentCalls;
    if (max !== undefined && this.calls.size + this.reserved >= max + this.config.streamHeadroom) return this.refuse('stream-at-capacity');
    this.bus.publish(STREAM_STARTED_TOPIC, { callSid: start.callSid });
    return { admitted: true };
  }

  override streamRefused(_start: MediaStreamStart, how: StreamRefusal): void {
    this.metrics.recordRefusedStream(how);
  }

  private refuse(reason: RefusalReason): AdmissionDecision {
    this.metrics.recordRefusedCall(reason);
    return { admitted: false, reason, message: this.config.callRefusedMessage };
  }
}
