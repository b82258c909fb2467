import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { operationsConfig } from '@app/config';
import type { OperationsConfig } from '@app/config';
import { CallRegistry } from '@app/orchestration';
import { GatewayAdmission } from '../admission/gateway-admission.service';

/** Readiness: up while this process accepts calls; down while draining or at MAX_CONCURRENT_CALLS. */
@Injectable()
export class CallsHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly admission: GatewayAdmission,
    private readonly calls: CallRegistry,
    @Inject(operationsConfig.KEY) private readonly config: OperationsConfig,
  ) {}

  check(key = 'calls') {
    const indicator = this.health.check(key);
    const details = { active: this.calls.size, max: this.config.maxConcurrentCalls ?? null };
    const refusal = this.admission.refusalReason;
    return refusal ? indicator.down({ ...details, reason: refusal }) : indicator.up(details);
  }
}
