export { CallRecordsModule, createCallRecordStore } from './call-records.module';
export type { CallRecordsModuleOptions } from './call-records.module-definition';
export { TwilioStatusRecorder } from './twilio-status-recorder';
export { CallRecordStore } from './store/call-record.store';
export type { CallRecordPage, CallRecordQuery, CallRecordSummary } from './store/call-record.store';
export type { CallRecord, CostEstimate, TokenUsage, ToolCallRecord, TranscriptTurn } from './record/call-record';
export type { TokenPrices } from './record/cost';
export { CallRecordWriter } from './delivery/call-record.writer';
export { signWebhook, WEBHOOK_SIGNATURE_HEADER, WEBHOOK_TIMESTAMP_HEADER } from './delivery/call-record-webhook';
