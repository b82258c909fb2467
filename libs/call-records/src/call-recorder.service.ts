import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { CallEvents } from '@app/orchestration';
import type { CallObserver, ObservedCall } from '@app/orchestration';
import { PostCallAnalysis } from './analysis/post-call-analysis';
import { CALL_RECORDS_OPTIONS } from './call-records.module-definition';
import type { CallRecordsModuleOptions } from './call-records.module-definition';
import { CallRecordWebhook } from './delivery/call-record-webhook';
import { CallRecordWriter } from './delivery/call-record.writer';
import { OutboxDispatcher } from './outbox/outbox-dispatcher';
import { OutboxPublisher } from './outbox/outbox-publisher';
import { CallRecordBuilder } from './record/call-record.builder';
import type { CallPricing } from './record/cost';
import { PriceList } from './record/prices';
import { LifecycleWebhooks } from './webhooks/lifecycle-webhooks';
import { TranscriptRedactor } from './privacy/transcript-redactor';

/**
 * Builds a record for every call from CallEvents, in memory; hands snapshots to the writer at the
 * end of the call and, for long calls, every `checkpointMs`.
 */
@Injectable()
export class CallRecorder implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(CallRecorder.name);
  private readonly live = new Map<ObservedCall, CallRecordBuilder>();
  private readonly prices: PriceList;
  /** The redaction pass of every record (undefined when TRANSCRIPT_REDACTION is off). */
  private readonly redactor?: TranscriptRedactor;
  /** Models already reported as having no prices (once each). */
  private readonly warnedUnpriced = new Set<string>();
  private unsubscribe?: () => void;
  private checkpointTimer?: NodeJS.Timeout;

  constructor(
    private readonly events: CallEvents,
    private readonly writer: CallRecordWriter,
    private readonly webhook: CallRecordWebhook,
    private readonly outbox: OutboxPublisher,
    private readonly dispatcher: OutboxDispatcher,
    private readonly lifecycle: LifecycleWebhooks,
    private readonly analysis: PostCallAnalysis,
    @Inject(CALL_RECORDS_OPTIONS) private readonly config: CallRecordsModuleOptions,
  ) {
    this.prices = new PriceList(config.tokenPrices);
    if (config.redaction && config.redaction.length > 0) this.redactor = new TranscriptRedactor(config.redaction);
  }

  onModuleInit(): void {
    this.unsubscribe = this.events.subscribe(this.observer());
    if (this.config.checkpointMs > 0) {
      this.checkpointTimer = setInterval(() => this.checkpoint(), this.config.checkpointMs);
      this.checkpointTimer.unref();
    }
  }

  /**
   * Calls still live at shutdown are recorded as ended by it (whichever of this and the
   * orchestrator's own shutdown runs first); their webhooks go into the outbox (delivered by
   * another instance, or after a restart), deliveries under way get a moment, then the writer makes
   * its last attempt and closes the store.
   */
  async onApplicationShutdown(): Promise<void> {
    this.unsubscribe?.();
    clearInterval(this.checkpointTimer);
    for (const [call, builder] of this.live) this.finish(call, builder, call.endReason ?? 'server-shutdown');
    await Promise.all([this.outbox.shutdown(), this.dispatcher.shutdown()]);
    await this.writer.shutdown();
  }

  /** Hands a snapshot of every live call that changed since the last one to the writer. */
  checkpoint(): void {
    for (const builder of this.live.values()) {
      if (builder.dirty) this.writer.submit(builder.snapshot());
    }
  }

  private observer(): CallObserver {
    const builderOf = (call: ObservedCall) => this.live.get(call);
    return {
      callStarted: (call) => {
        if (!call.callSid) return;
        const builder = new CallRecordBuilder(
          {
            callSid: call.callSid,
            streamSid: call.streamSid,
            customParameters: { ...call.customParameters },
            profile: call.profile,
            direction: call.direction,
            startedAt: call.startedAt ?? Date.now(),
            model: call.model,
            transcriptionModel: call.transcriptionModel,
          },
          this.pricingOf(call),
          this.redactor,
        );
        this.live.set(call, builder);
        if (this.lifecycle.wants('call.started')) {
          const started = builder.identityFields();
          this.lifecycle.publish('call.started', started, Date.parse(started.startedAt));
        }
      },
      callerSpeechStarted: (call) => builderOf(call)?.callerSpeechStarted(Date.now()),
      callerTranscript: (call, itemId, text, usage) => builderOf(call)?.callerTranscript(itemId, text, Date.now(), usage),
      callerTranscriptionFailed: (call, itemId, error) => builderOf(call)?.callerTranscriptionFailed(itemId, error, Date.now()),
      openAiFeatureDropped: (call, feature) => builderOf(call)?.featureDropped(feature),
      assistantAudioStarted: (call) => builderOf(call)?.assistantAudioStarted(Date.now()),
      assistantTranscript: (call, itemId, text) => builderOf(call)?.assistantTranscript(itemId, text, Date.now()),
      bargeIn: (call, cuts) => builderOf(call)?.bargeIn(cuts),
      responseDone: (call, _responseId, _status, usage) => builderOf(call)?.responseDone(usage),
      toolCalled: (call, toolCall) => {
        const builder = builderOf(call);
        if (!builder) return;
        builder.toolCalled(toolCall);
        if (this.lifecycle.wants('tool.called')) this.lifecycle.publish('tool.called', { callSid: call.callSid, ...builder.lastToolCall() });
      },
      callTransferred: (call, transfer) => {
        const builder = builderOf(call);
        if (!builder) return;
        builder.transferred(transfer);
        if (this.lifecycle.wants('call.transferred')) this.lifecycle.publish('call.transferred', { callSid: call.callSid, ...builder.lastTransfer });
      },
      openAiError: (call, code, message) => builderOf(call)?.openAiError(code, message),
      voicemailDetection: (call, result) => builderOf(call)?.voicemail(result),
      recordingStarted: (call, recording) => builderOf(call)?.recordingStarted(recording),
      callEnded: (call, reason) => {
        const builder = builderOf(call);
        if (builder) this.finish(call, builder, reason);
      },
    };
  }

  /** The prices of this call's own models; a model without prices is logged once. */
  private pricingOf(call: ObservedCall): CallPricing {
    const pricing: CallPricing = {
      model: call.model,
      prices: call.model ? this.prices.realtime(call.model) : undefined,
      transcriptionModel: call.transcriptionModel,
      transcriptionPrices: call.transcriptionModel ? this.prices.transcription(call.transcriptionModel) : undefined,
    };
    for (const [model, prices] of [[pricing.model, pricing.prices], [pricing.transcriptionModel, pricing.transcriptionPrices]] as const) {
      if (model && !prices && !this.warnedUnpriced.has(model)) {
        this.warnedUnpriced.add(model);
        this.logger.warn(`no prices for model "${model}": call records count it as 0 (price it with TOKEN_PRICES_USD_PER_MILLION)`);
      }
    }
    return pricing;
  }

  private finish(call: ObservedCall, builder: CallRecordBuilder, reason: string): void {
    this.live.delete(call);
    builder.ended(reason, call.endedAt ?? Date.now());
    const record = builder.snapshot();
    this.writer.submit(record);
    if (this.config.webhookScheme === 'legacy') this.webhook.deliver(record);
    else this.lifecycle.publish('call.ended', record, Date.parse(record.endedAt ?? record.startedAt));
    // Reads the record back once it is stored: after this snapshot, no other is made of the call.
    this.analysis.schedule(record);
  }
}
