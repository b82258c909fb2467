export * from './orchestration.module';
export * from './call-orchestrator.service';
export * from './call-registry.service';
export * from './call/call';
export * from './call/call.factory';
export * from './call/playback-tracker';
export * from './events/call-events';
export * from './fallback/call-fallback.service';
