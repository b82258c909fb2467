export { OperationsModule } from './operations.module';
export type { OperationsModuleOptions } from './operations.module-definition';
export { GatewayAdmission, RESERVATION_TTL_MS } from './admission/gateway-admission.service';
export type { RefusalReason } from './admission/gateway-admission.service';
export { FleetStreamClaims, LIVE_STREAM_CLAIM_TTL_MS } from './admission/fleet-stream-claims.service';
export { CallDrainService, GOODBYE_GRACE_MS } from './drain/call-drain.service';
export { GatewayMetrics } from './metrics/gateway-metrics.service';
