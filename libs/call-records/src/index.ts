export { CallRecordsModule, createCallRecordStore } from './call-records.module';
export type { CallRecordsModuleOptions, PostCallAnalysisOptions, ProfileAnalysisOptions } from './call-records.module-definition';
export { TwilioStatusRecorder } from './twilio-status-recorder';
export { CallRecordStore } from './store/call-record.store';
export type { CallRecordPage, CallRecordQuery, CallRecordSummary } from './store/call-record.store';
export type { CallAnalysis, CallRecord, CostEstimate, TokenUsage, ToolCallRecord, TranscriptTurn } from './record/call-record';
export { MODEL_PRICES, PRICE_KINDS, PriceList } from './record/prices';
export type { ModelPrices, PriceOverrides } from './record/prices';
export { CallRecordWriter } from './delivery/call-record.writer';
export { signWebhook, WEBHOOK_DELIVERY_ID_HEADER, WEBHOOK_SIGNATURE_HEADER, WEBHOOK_TIMESTAMP_HEADER } from './delivery/call-record-webhook';
export { OutboxStore } from './outbox/outbox.store';
export type { OutboxDelivery, OutboxMessage, OutboxRow } from './outbox/outbox.store';
export { OutboxPublisher } from './outbox/outbox-publisher';
export { OutboxSigners } from './outbox/outbox-signers';
export type { OutboxSigner, SigningInput } from './outbox/outbox-signers';
export { OutboxJobs, OUTBOX_JOB_PREFIX, OUTBOX_JOB_SIGNER } from './outbox/outbox-jobs';
export type { OutboxJob, OutboxOutcome } from './outbox/outbox-jobs';
export { LifecycleWebhooks } from './webhooks/lifecycle-webhooks';
export type { WebhookEnvelope } from './webhooks/lifecycle-webhooks';
export { parseWebhookEvents, WEBHOOK_EVENT_TYPES } from './webhooks/webhook-events';
export type { WebhookEventType } from './webhooks/webhook-events';
export {
  signStandardWebhook,
  STANDARD_WEBHOOK_ID_HEADER,
  STANDARD_WEBHOOK_SIGNATURE_HEADER,
  STANDARD_WEBHOOK_TIMESTAMP_HEADER,
  standardWebhookSigner,
  webhookSigningKey,
} from './webhooks/standard-webhooks';
export { ANALYSIS_JOB, PostCallAnalysis } from './analysis/post-call-analysis';
export { ANALYSIS_INSTRUCTIONS, analysisSchema, strictSchema } from './analysis/analysis-request';
