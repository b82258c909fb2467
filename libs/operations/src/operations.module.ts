import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { FleetPresence } from './admission/fleet-presence.service';
import { FleetStreamClaims } from './admission/fleet-stream-claims.service';
import { GatewayAdmission } from './admission/gateway-admission.service';
import { CallDrainService } from './drain/call-drain.service';
import { CallsHealthIndicator } from './health/calls.health';
import { HealthController } from './health/health.controller';
import { GatewayMetrics } from './metrics/gateway-metrics.service';
import { MetricsController } from './metrics/metrics.controller';
import { ConfigurableOperationsModule } from './operations.module-definition';

/**
 * Running the gateway in production: /healthz and /readyz, Prometheus /metrics, admission of new
 * calls (draining, the per-process and fleet-wide concurrent-call limits), this instance's calls
 * made known to the fleet, and the graceful drain on SIGTERM. Needs OrchestrationModule,
 * FleetModule and TwilioModule registered; pass GatewayAdmission (and this module) to
 * TwilioModule.forRoot({ admission, imports }) so the TwiML webhook refuses politely, and
 * FleetStreamClaims as its `claims` when Redis is configured (stream tokens used once fleet-wide).
 */
@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController, MetricsController],
  providers: [GatewayMetrics, GatewayAdmission, FleetPresence, FleetStreamClaims, CallsHealthIndicator, CallDrainService],
  exports: [GatewayMetrics, GatewayAdmission, FleetStreamClaims, CallDrainService],
})
export class OperationsModule extends ConfigurableOperationsModule {}
