export * from './openai-realtime.module';
export * from './realtime-endpoint';
export * from './realtime-events';
export * from './realtime-session';
export * from './realtime-session.factory';
export * from './session-config';
export * from './pre-ready-buffer';
export * from './resilient-realtime-session';
