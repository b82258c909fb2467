import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { OrchestrationModule } from '@app/orchestration';
import { TwilioApiModule } from '@app/telephony';
import { GatewayAdmission } from './admission/gateway-admission.service';
import { CallDrainService } from './drain/call-drain.service';
import { CallsHealthIndicator } from './health/calls.health';
import { HealthController } from './health/health.controller';
import { GatewayMetrics } from './metrics/gateway-metrics.service';
import { MetricsController } from './metrics/metrics.controller';

/**
 * Running the gateway in production: /healthz and /readyz, Prometheus /metrics, admission of new
 * calls (draining, MAX_CONCURRENT_CALLS) and the graceful drain on SIGTERM.
 * Pass GatewayAdmission to TwilioModule.forRoot({ admission }) so the TwiML webhook refuses politely.
 */
@Module({
  imports: [TerminusModule.forRoot({ logger: false }), OrchestrationModule, TwilioApiModule],
  controllers: [HealthController, MetricsController],
  providers: [GatewayMetrics, GatewayAdmission, CallsHealthIndicator, CallDrainService],
  exports: [GatewayMetrics, GatewayAdmission, CallDrainService],
})
export class OperationsModule {}
