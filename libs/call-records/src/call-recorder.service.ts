import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { CallEvents } from '@app/orchestration';
import type { CallObserver, ObservedCall } from '@app/orchestration';
import { CALL_RECORDS_OPTIONS } from './call-records.module-definition';
import type { CallRecordsModuleOptions } from './call-records.module-definition';
import { CallRecordWebhook } from './delivery/call-record-webhook';
import { CallRecordWriter } from './delivery/call-record.writer';
import { OutboxDispatcher } from './outbox/outbox-dispatcher';
import { OutboxPublisher } from './outbox/outbox-publisher';
import { CallRecordBuilder } from './record/call-record.builder';
import type { CallPricing } from './record/cost';
import { PriceList } from './record/prices';

/**
 * Builds a record for every call from CallEvents, in memory; hands snapshots to the writer at the
 * end of the call and, for long calls, every `checkpointMs`.
 */
@Injectable()
export class CallRecorder implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(CallRecorder.name);
  private readonly live = new Map<ObservedCall, CallRecordBuilder>();
  private readonly prices: PriceList;
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
    @Inject(CALL_RECORDS_OPTIONS) private readonly config: CallRecordsModuleOptions,
  ) {
    this.prices = new PriceList(config.tokenPrices);
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
        );
        this.live.set(call, builder);
      },
      callerSpeechStarted: (call) => builderOf(call)?.callerSpeechStarted(Date.now()),
      callerTranscript: (call, itemId, text, usage) => builderOf(call)?.callerTranscript(itemId, text, Date.now(), usage),
      callerTranscriptionFailed: (call, itemId, error) => builderOf(call)?.callerTranscriptionFailed(itemId, error, Date.now()),
      openAiFeatureDropped: (call, feature) => builderOf(call)?.featureDropped(feature),
      assistantAudioStarted: (call) => builderOf(call)?.assistantAudioStarted(Date.now()),
      assistantTranscript: (call, itemId, text) => builderOf(call)?.assistantTranscript(itemId, text, Date.now()),
      bargeIn: (call, cuts) => builderOf(call)?.bargeIn(cuts),
      responseDone: (call, _responseId, _status, usage) => builderOf(call)?.responseDone(usage),
      toolCalled: (call, toolCall) => builderOf(call)?.toolCalled(toolCall),
      callTransferred: (call, transfer) => builderOf(call)?.transferred(transfer),
      openAiError: (call, code, message) => builderOf(call)?.openAiError(code, message),
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
    this.webhook.deliver(record);
  }
}
