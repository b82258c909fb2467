export { OpenAIRealtimeModule } from './openai-realtime.module';
export type { OpenAIRealtimeModuleOptions } from './openai-realtime.module-definition';
export { RealtimeSessionFactory } from './realtime-session.factory';
export { RealtimeSession } from './realtime-session';
export type { RealtimeCloseInfo, RealtimeSessionListener, RealtimeSessionOptions } from './realtime-session';
export { ResilientRealtimeSession } from './resilient-realtime-session';
export type { RealtimeConversation, ResilienceHooks, ResilienceOptions } from './resilient-realtime-session';
export { PreReadyBuffer } from './pre-ready-buffer';
export { buildSessionConfig } from './session-config';
export { cutAtWord } from './transcript-cut';
export type { AssistantSessionSettings } from './session-config';
export { BENIGN_OPENAI_ERROR_CODES } from './realtime-events';
export type {
  RealtimeClientEvent,
  RealtimeConversationItem,
  RealtimeErrorDetail,
  RealtimeFunctionTool,
  RealtimeServerEvent,
  RealtimeSessionConfig,
  RealtimeTurnDetection,
  RealtimeUsage,
} from './realtime-events';
