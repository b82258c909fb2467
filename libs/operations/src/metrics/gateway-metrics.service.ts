import { Injectable, OnApplicationShutdown, OnModuleInit, Optional } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { CallRecordRetention } from '@app/call-records';
import { SharedState } from '@app/fleet';
import { CallEvents, LiveCalls } from '@app/orchestration';
import type { CallEndReason, CallObserver, CallTraffic, CallTransferEvent, ObservedCall, PlaybackCut, VoicemailEvent } from '@app/orchestration';
import { OpenAIModelLifecycle } from '@app/realtime';
import type { OptionalSessionFeature, RealtimeRateLimit, RealtimeUsage } from '@app/realtime';
import { StreamStartVerifier } from '@app/telephony';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

const PREFIX = 'voice_gateway_';
/** OpenAI error codes are an open set; past this many distinct codes the rest count as `other`. */
const MAX_ERROR_CODES = 50;

type RefusalReason = 'draining' | 'at-capacity' | 'fleet-at-capacity' | 'stream-at-capacity' | (string & {});
/** Shared-state statuses, each a series of voice_gateway_shared_state (1 for the current one). */
const SHARED_STATE_STATUSES = ['not-configured', 'connecting', 'up', 'down'] as const;

/**
 * The gateway's Prometheus metrics. Call events feed counters and histograms; media traffic is
 * read from the live calls' plain counters only when Prometheus scrapes (nothing per frame).
 * One registry per application instance, so several apps in one process never collide.
 */
@Injectable()
export class GatewayMetrics implements CallObserver, OnModuleInit, OnApplicationShutdown {
  readonly registry = new Registry();
  /** Traffic of calls that have ended; live calls are added at scrape time. */
  private readonly endedTraffic: CallTraffic = { framesFromCaller: 0, bytesFromCaller: 0, framesToCaller: 0, bytesToCaller: 0, silenceFilledMs: 0, bytesDroppedFromCaller: 0 };
  private readonly errorCodes = new Set<string>();
  private readonly transcriptionErrorCodes = new Set<string>();
  private unsubscribe?: () => void;
  /** The call-record retention job, when the application has one (looked up, not imported: it lives in CallRecordsModule). */
  private retention?: CallRecordRetention;

  private readonly callsStarted = new Counter({
    name: `${PREFIX}calls_started_total`,
    help: 'Calls whose media stream started',
    registers: [this.registry],
  });
  private readonly callsEnded = new Counter({
    name: `${PREFIX}calls_total`,
    help: 'Calls that ended, by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  private readonly callsRefused = new Counter({
    name: `${PREFIX}calls_refused_total`,
    help: 'Calls refused politely, by reason (draining, at-capacity, fleet-at-capacity at the webhook; stream-at-capacity at the stream)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  private readonly streamsRefused = new Counter({
    name: `${PREFIX}streams_refused_total`,
    help: 'Media streams refused at start, by how they were ended (redirected to the spoken refusal, closed)',
    labelNames: ['action'] as const,
    registers: [this.registry],
  });
  private readonly assistantLookups = new Counter({
    name: `${PREFIX}assistant_lookups_total`,
    help: 'Assistant lookups at call start (ASSISTANT_LOOKUP_URL), by outcome (answered, no-content, timeout, error, invalid)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  private readonly assistantLookupDuration = new Histogram({
    name: `${PREFIX}assistant_lookup_duration_seconds`,
    help: 'How long calls waited for the assistant lookup (capped by ASSISTANT_LOOKUP_TIMEOUT_MS)',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.2, 2, 5],
    registers: [this.registry],
  });
  private readonly callsDrained = new Counter({
    name: `${PREFIX}calls_drained_total`,
    help: 'Calls still live when the drain timeout passed, by how they were ended (redirected to a goodbye, closed)',
    labelNames: ['action'] as const,
    registers: [this.registry],
  });
  private readonly callDuration = new Histogram({
    name: `${PREFIX}call_duration_seconds`,
    help: 'Call duration, from the stream start (or connection) to the end',
    buckets: [5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600],
    registers: [this.registry],
  });
  private readonly callSetup = new Histogram({
    name: `${PREFIX}call_setup_seconds`,
    help: "Call set-up time, from Twilio's stream start to the OpenAI session being ready",
    buckets: [0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10],
    registers: [this.registry],
  });
  private readonly responseLatency = new Histogram({
    name: `${PREFIX}response_latency_seconds`,
    help: "Time from the end of the caller's speech to the first assistant audio sent to Twilio",
    buckets: [0.2, 0.4, 0.6, 0.8, 1, 1.25, 1.5, 2, 3, 5],
    registers: [this.registry],
  });
  private readonly bargeIns = new Counter({
    name: `${PREFIX}barge_ins_total`,
    help: 'Times a caller interrupted the assistant: audio still playing, or an answer still coming',
    registers: [this.registry],
  });
  private readonly truncations = new Counter({
    name: `${PREFIX}truncations_total`,
    help: 'Assistant items truncated at the audio the caller had heard (items with nothing heard are deleted, not counted)',
    registers: [this.registry],
  });
  private readonly openAiErrors = new Counter({
    name: `${PREFIX}openai_errors_total`,
    help: 'Error events from the OpenAI Realtime API, by code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  private readonly openAiReconnects = new Counter({
    name: `${PREFIX}openai_reconnects_total`,
    help: 'OpenAI Realtime sessions reopened after dropping mid-call',
    registers: [this.registry],
  });
  private readonly transfers = new Counter({
    name: `${PREFIX}transfers_total`,
    help: 'Transfers to a human that reached an outcome, by mode (blind, warm) and outcome (connected, declined, no-answer, failed)',
    labelNames: ['mode', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly featuresDropped = new Counter({
    name: `${PREFIX}openai_session_features_dropped_total`,
    help: 'Optional parts of a session configuration OpenAI refused, which calls went on without (transcription, noise_reduction, reasoning, semantic_vad)',
    labelNames: ['feature'] as const,
    registers: [this.registry],
  });
  private readonly transcriptionsFailed = new Counter({
    name: `${PREFIX}caller_transcriptions_failed_total`,
    help: 'Caller turns OpenAI could not transcribe, by error code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  private readonly rateLimitRemaining = new Gauge({
    name: `${PREFIX}openai_rate_limit_remaining`,
    help: "What is left of the OpenAI account's rate limit (requests, tokens), as the latest rate_limits.updated of any call said",
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });
  private readonly rateLimitLimit = new Gauge({
    name: `${PREFIX}openai_rate_limit_limit`,
    help: "The OpenAI account's rate limit (requests, tokens), from rate_limits.updated",
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });
  private readonly rateLimitReset = new Gauge({
    name: `${PREFIX}openai_rate_limit_reset_seconds`,
    help: "Seconds until the OpenAI account's rate limit (requests, tokens) resets, from rate_limits.updated",
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });
  private readonly voicemailDrops = new Counter({
    name: `${PREFIX}voicemail_drops_total`,
    help: 'Outbound calls that reached an answering machine, by outcome (left: message left; hung-up: hung up without one; fax; failed)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  private readonly recordingStarts = new Counter({
    name: `${PREFIX}recording_starts_total`,
    help: 'Call recordings asked of Twilio at the stream start, by outcome (started, failed: the call went on unrecorded)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  private readonly tokens = new Counter({
    name: `${PREFIX}openai_tokens_total`,
    help: 'OpenAI Realtime token usage from response.done, by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  constructor(
    private readonly events: CallEvents,
    private readonly calls: LiveCalls,
    @Optional() private readonly models?: OpenAIModelLifecycle,
    @Optional() private readonly sharedState?: SharedState,
    @Optional() private readonly streams?: StreamStartVerifier,
    @Optional() private readonly moduleRef?: ModuleRef,
  ) {
    const metrics = this;
    new Counter({
      name: `${PREFIX}call_records_purged_total`,
      help: 'Call records purged by the retention job (CALL_RECORD_RETENTION_DAYS), by scope (transcript, record)',
      labelNames: ['scope'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        const retention = metrics.retention;
        if (retention?.scope) this.inc({ scope: retention.scope }, retention.totals.purged);
      },
    });
    new Counter({
      name: `${PREFIX}call_record_retention_failures_total`,
      help: 'Retention job failures, by kind (run: the database failed; recording: a recording could not be erased, retried next run)',
      labelNames: ['kind'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        const totals = metrics.retention?.totals;
        if (!totals) return;
        this.inc({ kind: 'run' }, totals.failedRuns);
        this.inc({ kind: 'recording' }, totals.erasuresFailed);
      },
    });
    new Gauge({
      name: `${PREFIX}shared_state`,
      help: 'Where shared live state (Redis) stands: 1 for the current status (not-configured, connecting, up, down)',
      labelNames: ['status'] as const,
      registers: [this.registry],
      collect() {
        const current = metrics.sharedState?.status ?? 'not-configured';
        for (const status of SHARED_STATE_STATUSES) this.set({ status }, status === current ? 1 : 0);
      },
    });
    new Counter({
      name: `${PREFIX}shared_state_fallbacks_total`,
      help: 'Answers given by this instance alone because Redis was unavailable, by feature',
      labelNames: ['feature'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [feature, count] of metrics.sharedState?.fallbacks ?? []) this.inc({ feature }, count);
      },
    });
    new Gauge({
      name: `${PREFIX}openai_model_shutdown_timestamp_seconds`,
      help: 'When OpenAI shuts down a model this gateway uses (announced shutdown_date, start of the day UTC, seconds since the epoch)',
      labelNames: ['model'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const shutdown of metrics.models?.announcedShutdowns() ?? []) this.set({ model: shutdown.model }, shutdown.shutdownAtSeconds);
      },
    });
    new Gauge({
      name: `${PREFIX}calls_active`,
      help: 'Calls this process is serving now',
      registers: [this.registry],
      collect() {
        this.set(metrics.calls.size);
      },
    });
    new Counter({
      name: `${PREFIX}media_frames_total`,
      help: 'Twilio media frames, by direction (inbound: from the caller, outbound: to the caller)',
      labelNames: ['direction'] as const,
      registers: [this.registry],
      collect() {
        const traffic = metrics.totalTraffic();
        this.reset();
        this.inc({ direction: 'inbound' }, traffic.framesFromCaller);
        this.inc({ direction: 'outbound' }, traffic.framesToCaller);
      },
    });
    new Counter({
      name: `${PREFIX}media_bytes_total`,
      help: 'Decoded µ-law audio bytes, by direction (inbound: from the caller, outbound: to the caller)',
      labelNames: ['direction'] as const,
      registers: [this.registry],
      collect() {
        const traffic = metrics.totalTraffic();
        this.reset();
        this.inc({ direction: 'inbound' }, traffic.bytesFromCaller);
        this.inc({ direction: 'outbound' }, traffic.bytesToCaller);
      },
    });
    new Counter({
      name: `${PREFIX}caller_silence_filled_seconds_total`,
      help: "µ-law silence sent to OpenAI where the caller's media stopped or its timestamps jumped",
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(metrics.totalTraffic().silenceFilledMs / 1000);
      },
    });
    new Counter({
      name: `${PREFIX}caller_audio_dropped_bytes_total`,
      help: 'Caller audio (µ-law bytes) not sent to OpenAI because it arrived faster than CALLER_AUDIO_MAX_RATE allows',
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(metrics.totalTraffic().bytesDroppedFromCaller);
      },
    });
    new Counter({
      name: `${PREFIX}media_streams_refused_total`,
      help: 'Media streams closed at start because their stream token was refused, by reason',
      labelNames: ['reason'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [reason, count] of metrics.streams?.refusals ?? []) if (count > 0) this.inc({ reason }, count);
      },
    });
    // Process metrics, including nodejs_eventloop_lag_seconds and its percentiles.
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 20 });
  }

  onModuleInit(): void {
    try {
      this.retention = this.moduleRef?.get(CallRecordRetention, { strict: false });
    } catch {
      this.retention = undefined;
    }
    this.unsubscribe = this.events.subscribe(this);
  }

  // Not onModuleDestroy: that runs before the SIGTERM drain, whose calls must still be counted.
  onApplicationShutdown(): void {
    this.unsubscribe?.();
  }

  /** Prometheus text exposition. */
  get contentType(): string {
    return this.registry.contentType;
  }

  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  recordRefusedCall(reason: RefusalReason): void {
    this.callsRefused.inc({ reason });
  }

  recordRefusedStream(action: 'redirected' | 'closed'): void {
    this.streamsRefused.inc({ action });
  }

  recordDrainedCall(action: 'redirected' | 'closed'): void {
    this.callsDrained.inc({ action });
  }

  // ---- CallObserver ---------------------------------------------------------------------

  callStarted(): void {
    this.callsStarted.inc();
  }

  assistantLookup(_call: ObservedCall, outcome: string, durationMs: number): void {
    this.assistantLookups.inc({ outcome });
    this.assistantLookupDuration.observe(durationMs / 1000);
  }

  sessionReady(_call: ObservedCall, setupMs: number): void {
    this.callSetup.observe(setupMs / 1000);
  }

  assistantAudioStarted(_call: ObservedCall, _responseId: string, latencyMs: number | undefined): void {
    if (latencyMs !== undefined) this.responseLatency.observe(latencyMs / 1000);
  }

  bargeIn(_call: ObservedCall, cuts: PlaybackCut[]): void {
    this.bargeIns.inc();
    let truncated = 0;
    for (const cut of cuts) if (cut.playedMs > 0) truncated++;
    if (truncated > 0) this.truncations.inc(truncated);
  }

  responseDone(_call: ObservedCall, _responseId: string, _status: string, usage: RealtimeUsage | undefined): void {
    if (!usage) return;
    this.addTokens('input_text', usage.input_token_details?.text_tokens);
    this.addTokens('input_audio', usage.input_token_details?.audio_tokens);
    this.addTokens('input_cached', usage.input_token_details?.cached_tokens);
    this.addTokens('output_text', usage.output_token_details?.text_tokens);
    this.addTokens('output_audio', usage.output_token_details?.audio_tokens);
  }

  openAiError(_call: ObservedCall, code: string): void {
    if (!this.errorCodes.has(code) && this.errorCodes.size < MAX_ERROR_CODES) this.errorCodes.add(code);
    this.openAiErrors.inc({ code: this.errorCodes.has(code) ? code : 'other' });
  }

  openAiReconnect(): void {
    this.openAiReconnects.inc();
  }

  callTransferred(_call: ObservedCall, transfer: CallTransferEvent): void {
    this.transfers.inc({ mode: transfer.mode, outcome: transfer.outcome });
  }

  openAiFeatureDropped(_call: ObservedCall, feature: OptionalSessionFeature): void {
    this.featuresDropped.inc({ feature });
  }

  callerTranscriptionFailed(_call: ObservedCall, _itemId: string, error: { code: string }): void {
    const code = error.code;
    if (!this.transcriptionErrorCodes.has(code) && this.transcriptionErrorCodes.size < MAX_ERROR_CODES) this.transcriptionErrorCodes.add(code);
    this.transcriptionsFailed.inc({ code: this.transcriptionErrorCodes.has(code) ? code : 'other' });
  }

  rateLimitsUpdated(_call: ObservedCall, limits: readonly RealtimeRateLimit[]): void {
    for (const limit of limits) {
      // OpenAI names two limits; anything else would be an unbounded label.
      if (limit.name !== 'requests' && limit.name !== 'tokens') continue;
      const labels = { limit: limit.name };
      if (Number.isFinite(limit.remaining)) this.rateLimitRemaining.set(labels, limit.remaining!);
      if (Number.isFinite(limit.limit)) this.rateLimitLimit.set(labels, limit.limit!);
      if (Number.isFinite(limit.reset_seconds)) this.rateLimitReset.set(labels, limit.reset_seconds!);
    }
  }

  voicemailDetection(_call: ObservedCall, result: VoicemailEvent): void {
    if (result.outcome) this.voicemailDrops.inc({ outcome: result.outcome });
  }

  recordingStarted(): void {
    this.recordingStarts.inc({ outcome: 'started' });
  }

  recordingFailed(): void {
    this.recordingStarts.inc({ outcome: 'failed' });
  }

  callEnded(call: ObservedCall, reason: CallEndReason): void {
    this.callsEnded.inc({ outcome: reason });
    if (call.endedAt !== undefined) this.callDuration.observe((call.endedAt - (call.startedAt ?? call.connectedAt)) / 1000);
    const t = call.traffic;
    this.endedTraffic.framesFromCaller += t.framesFromCaller;
    this.endedTraffic.bytesFromCaller += t.bytesFromCaller;
    this.endedTraffic.framesToCaller += t.framesToCaller;
    this.endedTraffic.bytesToCaller += t.bytesToCaller;
    this.endedTraffic.silenceFilledMs += t.silenceFilledMs;
    this.endedTraffic.bytesDroppedFromCaller += t.bytesDroppedFromCaller;
  }

  private addTokens(kind: string, count: number | undefined): void {
    if (count && count > 0) this.tokens.inc({ kind }, count);
  }

  /** Ended calls plus live ones. A call leaves the registry just before its callEnded event, in the same tick. */
  private totalTraffic(): CallTraffic {
    const total = { ...this.endedTraffic };
    for (const call of this.calls.observed()) {
      const traffic = call.traffic;
      total.framesFromCaller += traffic.framesFromCaller;
      total.bytesFromCaller += traffic.bytesFromCaller;
      total.framesToCaller += traffic.framesToCaller;
      total.bytesToCaller += traffic.bytesToCaller;
      total.silenceFilledMs += traffic.silenceFilledMs;
      total.bytesDroppedFromCaller += traffic.bytesDroppedFromCaller;
    }
    return total;
  }
}
