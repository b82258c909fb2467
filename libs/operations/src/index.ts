export * from './operations.module';
export * from './admission/gateway-admission.service';
export * from './drain/call-drain.service';
export * from './health/calls.health';
export * from './metrics/gateway-metrics.service';
