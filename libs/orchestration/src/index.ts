export { OrchestrationModule } from './orchestration.module';
export type { OrchestrationModuleOptions } from './orchestration.module-definition';
export type { AssistantOptions, AssistantProfile, NoiseReductionSetting, TurnDetectionSettings } from './profiles/assistant-options';
export type { AgentOptions, TransferDestination } from './agent/agent-options';
export type { OutboundOptions } from './outbound/outbound-options';
export { countryOfNumber, DestinationPolicy, HIGH_RISK_PREFIXES } from './outbound/destination-policy';
export { LIVE_SLOT_TTL_MS, OutboundCallSlots, RINGING_SLOT_TTL_MS } from './outbound/outbound-call-slots';
export type { DestinationDecision, DestinationRefusal } from './outbound/destination-policy';
export { CallOrchestrator } from './call-orchestrator.service';
export { CallRegistry, LiveCalls } from './call-registry.service';
export { Call } from './call/call';
export type { CallEndReason, CallState, CallTraffic } from './call/call';
export type { ObservedCall } from './call/observed-call';
export type { PlaybackCut } from './call/playback-clock';
export { CallEvents } from './events/call-events';
export type { CallEventName, CallObserver, ToolCallEvent } from './events/call-events';
export { AssistantLookup, LOOKUP_LIMITS, lookupParameters, parseLookupAnswer } from './lookup/assistant-lookup';
export type { AssistantLookupAnswer, AssistantLookupOptions, AssistantLookupOutcome, AssistantLookupRequest, AssistantLookupResult } from './lookup/assistant-lookup';
export {
  signStandardWebhook,
  STANDARD_WEBHOOK_ID_HEADER,
  STANDARD_WEBHOOK_SIGNATURE_HEADER,
  STANDARD_WEBHOOK_TIMESTAMP_HEADER,
  standardWebhookHeaders,
  standardWebhookKey,
  verifyStandardWebhook,
} from './lookup/standard-webhook-signature';
