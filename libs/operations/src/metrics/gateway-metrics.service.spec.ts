import { describe, expect, it } from 'vitest';
import { Call, CallEvents, CallRegistry } from '@app/orchestration';
import type { ModelShutdown, OpenAIModelLifecycle } from '@app/realtime';
import { GatewayMetrics } from './gateway-metrics.service';

/** Just the parts of a Call the metrics read (a live call is observed as itself here). */
const fakeCall = (traffic: Partial<Call['traffic']> = {}) => {
  const call = {
    traffic: { framesFromCaller: 0, bytesFromCaller: 0, framesToCaller: 0, bytesToCaller: 0, silenceFilledMs: 0, ...traffic },
    connectedAt: 1_000,
    startedAt: 2_000,
    endedAt: 12_000,
  } as unknown as Call & { observed: unknown };
  call.observed = call;
  return call;
};

async function value(metrics: GatewayMetrics, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const metric = await metrics.registry.getSingleMetric(name)!.get();
  return metric.values.find((v) => Object.entries(labels).every(([k, l]) => (v.labels as Record<string, unknown>)[k] === l))?.value;
}

describe('GatewayMetrics', () => {
  function setUp(shutdowns: ModelShutdown[] = []) {
    const events = new CallEvents();
    const registry = new CallRegistry();
    const models = { announcedShutdowns: () => shutdowns } as OpenAIModelLifecycle;
    const metrics = new GatewayMetrics(events, registry, models);
    metrics.onModuleInit();
    return { events, registry, metrics };
  }

  it('counts media traffic of live and ended calls exactly once, read at scrape time', async () => {
    const { events, registry, metrics } = setUp();
    const ended = fakeCall({ framesFromCaller: 10, bytesFromCaller: 1600 });
    const live = fakeCall({ framesFromCaller: 3, bytesFromCaller: 480, framesToCaller: 2, bytesToCaller: 320 });
    registry.add(ended);
    registry.add(live);
    expect(await value(metrics, 'voice_gateway_media_bytes_total', { direction: 'inbound' })).toBe(2080);
    registry.remove(ended);
    events.emit('callEnded', ended, 'caller-hung-up');
    expect(await value(metrics, 'voice_gateway_media_bytes_total', { direction: 'inbound' })).toBe(2080);
    live.traffic.bytesFromCaller += 160;
    live.traffic.framesFromCaller += 1;
    expect(await value(metrics, 'voice_gateway_media_bytes_total', { direction: 'inbound' })).toBe(2240);
    expect(await value(metrics, 'voice_gateway_media_frames_total', { direction: 'inbound' })).toBe(14);
    expect(await value(metrics, 'voice_gateway_media_bytes_total', { direction: 'outbound' })).toBe(320);
    expect(await value(metrics, 'voice_gateway_calls_active')).toBe(1);
    expect(await value(metrics, 'voice_gateway_calls_total', { outcome: 'caller-hung-up' })).toBe(1);
  });

  it('counts the silence filled into caller media gaps, of live and ended calls', async () => {
    const { events, registry, metrics } = setUp();
    const ended = fakeCall({ silenceFilledMs: 1500 });
    const live = fakeCall({ silenceFilledMs: 500 });
    registry.add(ended);
    registry.add(live);
    registry.remove(ended);
    events.emit('callEnded', ended, 'caller-hung-up');
    expect(await value(metrics, 'voice_gateway_caller_silence_filled_seconds_total')).toBe(2);
  });

  it('counts truncations only for cuts the caller partly heard', async () => {
    const { events, metrics } = setUp();
    events.emit('bargeIn', fakeCall(), [{ itemId: 'a', playedMs: 120 } as never, { itemId: 'b', playedMs: 0 } as never]);
    expect(await value(metrics, 'voice_gateway_barge_ins_total')).toBe(1);
    expect(await value(metrics, 'voice_gateway_truncations_total')).toBe(1);
  });

  it('counts reconnects from the call event', async () => {
    const { events, metrics } = setUp();
    events.emit('openAiReconnect', fakeCall(), 1);
    events.emit('openAiReconnect', fakeCall(), 2);
    expect(await value(metrics, 'voice_gateway_openai_reconnects_total')).toBe(2);
  });

  it('counts transfers by mode and outcome', async () => {
    const { events, metrics } = setUp();
    events.emit('callTransferred', fakeCall(), { mode: 'warm', destination: 'support', outcome: 'declined' });
    events.emit('callTransferred', fakeCall(), { mode: 'warm', destination: 'support', outcome: 'connected', summary: 'x' });
    expect(await value(metrics, 'voice_gateway_transfers_total', { mode: 'warm', outcome: 'declined' })).toBe(1);
    expect(await value(metrics, 'voice_gateway_transfers_total', { mode: 'warm', outcome: 'connected' })).toBe(1);
  });

  it('bounds the OpenAI error-code label set', async () => {
    const { events, metrics } = setUp();
    for (let i = 0; i < 60; i++) events.emit('openAiError', fakeCall(), `code_${i}`, undefined);
    events.emit('openAiError', fakeCall(), 'code_1', undefined);
    const series = (await metrics.registry.getSingleMetric('voice_gateway_openai_errors_total')!.get()).values;
    expect(series).toHaveLength(51);
    expect(await value(metrics, 'voice_gateway_openai_errors_total', { code: 'other' })).toBe(10);
    expect(await value(metrics, 'voice_gateway_openai_errors_total', { code: 'code_1' })).toBe(2);
  });

  it('counts the session features OpenAI refused and the caller turns it could not transcribe', async () => {
    const { events, metrics } = setUp();
    events.emit('openAiFeatureDropped', fakeCall(), 'transcription');
    events.emit('openAiFeatureDropped', fakeCall(), 'transcription');
    events.emit('openAiFeatureDropped', fakeCall(), 'semantic_vad');
    events.emit('callerTranscriptionFailed', fakeCall(), 'item_1', { code: 'audio_unintelligible' });
    expect(await value(metrics, 'voice_gateway_openai_session_features_dropped_total', { feature: 'transcription' })).toBe(2);
    expect(await value(metrics, 'voice_gateway_openai_session_features_dropped_total', { feature: 'semantic_vad' })).toBe(1);
    expect(await value(metrics, 'voice_gateway_caller_transcriptions_failed_total', { code: 'audio_unintelligible' })).toBe(1);
  });

  it("shows the latest rate limits, skipping missing fields and unknown limits", async () => {
    const { events, metrics } = setUp();
    events.emit('rateLimitsUpdated', fakeCall(), [
      { name: 'requests', limit: 5000, remaining: 4999, reset_seconds: 0.01 },
      { name: 'tokens', limit: 400000, remaining: 395904 },
      { name: 'images' as 'tokens', remaining: 1 },
    ]);
    events.emit('rateLimitsUpdated', fakeCall(), [{ name: 'tokens', remaining: 391808 }]);
    expect(await value(metrics, 'voice_gateway_openai_rate_limit_remaining', { limit: 'requests' })).toBe(4999);
    expect(await value(metrics, 'voice_gateway_openai_rate_limit_remaining', { limit: 'tokens' })).toBe(391808);
    expect(await value(metrics, 'voice_gateway_openai_rate_limit_limit', { limit: 'tokens' })).toBe(400000);
    expect(await value(metrics, 'voice_gateway_openai_rate_limit_reset_seconds', { limit: 'requests' })).toBe(0.01);
    expect(await value(metrics, 'voice_gateway_openai_rate_limit_reset_seconds', { limit: 'tokens' })).toBeUndefined();
    expect((await metrics.registry.getSingleMetric('voice_gateway_openai_rate_limit_remaining')!.get()).values).toHaveLength(2);
  });

  it('exposes announced model shutdowns as timestamps', async () => {
    const at = Date.parse('2027-01-20T00:00:00Z') / 1000;
    const { metrics } = setUp([{ model: 'gpt-realtime', shutdownDate: '2027-01-20', shutdownAtSeconds: at }]);
    expect(await value(metrics, 'voice_gateway_openai_model_shutdown_timestamp_seconds', { model: 'gpt-realtime' })).toBe(at);
  });

  it('stops observing calls once the module is destroyed', async () => {
    const { events, metrics } = setUp();
    metrics.onApplicationShutdown();
    events.emit('callStarted', fakeCall());
    expect(await value(metrics, 'voice_gateway_calls_started_total')).toBe(0);
  });
});
