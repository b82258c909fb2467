import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { CallsHealthIndicator } from './calls.health';

/** Kubernetes probes: liveness (the process serves HTTP) and readiness (it accepts calls). */
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly calls: CallsHealthIndicator,
  ) {}

  /** Liveness: stays 200 while draining, so Kubernetes never kills a pod that is finishing calls. */
  @Get('healthz')
  @HealthCheck()
  liveness() {
    return this.health.check([]);
  }

  /** Readiness: 503 while draining or at capacity, so no new calls are routed here. */
  @Get('readyz')
  @HealthCheck()
  readiness() {
    return this.health.check([() => this.calls.check(), () => this.calls.sharedStateCheck()]);
  }
}
