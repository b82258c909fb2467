import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { LiveCalls } from '@app/orchestration';
import { GatewayAdmission } from '../admission/gateway-admission.service';
import { OPERATIONS_OPTIONS } from '../operations.module-definition';
import type { OperationsModuleOptions } from '../operations.module-definition';

/** Readiness: up while this process accepts calls; down while draining or at the concurrent-call limit. */
@Injectable()
export class CallsHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly admission: GatewayAdmission,
    private readonly calls: LiveCalls,
    @Inject(OPERATIONS_OPTIONS) private readonly config: OperationsModuleOptions,
  ) {}

  check(key = 'calls') {
    const indicator = this.health.check(key);
    const details = { active: this.calls.size, max: this.config.maxConcurrentCalls ?? null };
    const refusal = this.admission.refusalReason;
    return refusal ? indicator.down({ ...details, reason: refusal }) : indicator.up(details);
  }
}
