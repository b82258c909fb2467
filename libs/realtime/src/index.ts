export { OpenAIRealtimeModule } from './openai-realtime.module';
export type { ModelCheckOptions, OpenAIRealtimeModuleOptions } from './openai-realtime.module-definition';
export { RealtimeSessionFactory } from './realtime-session.factory';
export { RealtimeSession } from './realtime-session';
export type { RealtimeAuthScheme, RealtimeCloseInfo, RealtimeSessionListener, RealtimeSessionOptions } from './realtime-session';
export { ResilientRealtimeSession } from './resilient-realtime-session';
export type { RealtimeConversation, ResilienceHooks, ResilienceOptions } from './resilient-realtime-session';
export { PreReadyBuffer } from './pre-ready-buffer';
export { buildSessionConfig, buildSessionFallbacks, turnInstructions } from './session-config';
export type { AssistantSessionSettings, RealtimeSessionFallbacks, TurnDetectionConfig } from './session-config';
export { OPTIONAL_SESSION_FEATURES } from './session-degrade';
export type { OptionalSessionFeature } from './session-degrade';
export { apiBaseFromRealtimeUrl, isAzureOpenAIUrl, takesReasoning } from './openai-models';
export { OpenAIModelLifecycle } from './model-lifecycle';
export type { ModelLookup, ModelShutdown } from './model-lifecycle';
export { cutAtWord } from './transcript-cut';
export { BENIGN_OPENAI_ERROR_CODES } from './realtime-events';
export type {
  RealtimeClientEvent,
  RealtimeConversationItem,
  RealtimeErrorDetail,
  RealtimeFunctionTool,
  RealtimeNoiseReductionType,
  RealtimeRateLimit,
  RealtimeReasoningEffort,
  RealtimeSemanticVadEagerness,
  RealtimeServerEvent,
  RealtimeServerEventOf,
  RealtimeSessionConfig,
  RealtimeTranscriptionError,
  RealtimeTranscriptionUsage,
  RealtimeUsage,
} from './realtime-events';
export { openAiAuthHeaders } from './openai-auth';
