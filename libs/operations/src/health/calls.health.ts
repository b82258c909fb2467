import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { SharedState } from '@app/fleet';
import { CallRegistry } from '@app/orchestration';
import { GatewayAdmission } from '../admission/gateway-admission.service';
import { OPERATIONS_OPTIONS } from '../operations.module-definition';
import type { OperationsModuleOptions } from '../operations.module-definition';

/** Readiness: up while this process accepts calls; down while draining or at the concurrent-call limit. */
@Injectable()
export class CallsHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly admission: GatewayAdmission,
    private readonly calls: CallRegistry,
    private readonly sharedState: SharedState,
    @Inject(OPERATIONS_OPTIONS) private readonly config: OperationsModuleOptions,
  ) {}

  check(key = 'calls') {
    const indicator = this.health.check(key);
    const details = {
      active: this.calls.size,
      reserved: this.admission.reserved,
      connecting: this.calls.connecting,
      max: this.config.maxConcurrentCalls ?? null,
    };
    const refusal = this.admission.refusalReason;
    return refusal ? indicator.down({ ...details, reason: refusal }) : indicator.up(details);
  }

  /** Shared state (Redis) as a detail: never fails readiness, since calls keep flowing without it. */
  sharedStateCheck(key = 'sharedState') {
    return this.health.check(key).up({ redis: this.sharedState.status });
  }
}
