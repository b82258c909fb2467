export * from './realtime-tool';
export * from './tool-registry.service';
export * from './tool-runner';
export * from './tools.module';
export * from './call-control/end-call.tool';
export * from './call-control/transfer-call.tool';
