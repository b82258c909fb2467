import { Inject, Injectable } from '@nestjs/common';
import { LiveCalls } from '@app/orchestration';
import { AdmissionDecision, CallAdmission } from '@app/telephony';
import { GatewayMetrics } from '../metrics/gateway-metrics.service';
import { OPERATIONS_OPTIONS } from '../operations.module-definition';
import type { OperationsModuleOptions } from '../operations.module-definition';

/**
 * Whether this process takes new calls: not while draining, and not at the concurrent-call limit.
 * Readiness reports the same thing, so the load balancer and the TwiML webhook agree.
 */
@Injectable()
export class GatewayAdmission extends CallAdmission {
  private draining = false;

  constructor(
    private readonly calls: LiveCalls,
    private readonly metrics: GatewayMetrics,
    @Inject(OPERATIONS_OPTIONS) private readonly config: OperationsModuleOptions,
  ) {
    super();
  }

  get isDraining(): boolean {
    return this.draining;
  }

  get atCapacity(): boolean {
    const max = this.config.maxConcurrentCalls;
    return max !== undefined && this.calls.size >= max;
  }

  /** Why new calls are refused right now, or undefined when they are taken. */
  get refusalReason(): 'draining' | 'at-capacity' | undefined {
    if (this.draining) return 'draining';
    if (this.atCapacity) return 'at-capacity';
    return undefined;
  }

  startDraining(): void {
    this.draining = true;
  }

  override admitStream(): boolean {
    if (!this.atCapacity) return true;
    this.metrics.recordRefusedCall('at-capacity');
    return false;
  }

  admit(): AdmissionDecision {
    const reason = this.refusalReason;
    if (!reason) return { admitted: true };
    this.metrics.recordRefusedCall(reason);
    return { admitted: false, reason, message: this.config.callRefusedMessage };
  }
}
