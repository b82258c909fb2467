export { OperationsModule } from './operations.module';
export type { OperationsModuleOptions } from './operations.module-definition';
export { GatewayAdmission } from './admission/gateway-admission.service';
export { CallDrainService, GOODBYE_GRACE_MS } from './drain/call-drain.service';
export { GatewayMetrics } from './metrics/gateway-metrics.service';
