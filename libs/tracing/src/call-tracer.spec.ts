import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CallEvents } from '@app/orchestration';
import { FakeOtlpCollector } from '@app/simulators';
import type { ObservedCall } from '@app/orchestration';
import { CallTracer } from './call-tracer';
import { GatewayTracing } from './gateway-tracing.service';
import { formatTraceParent, parseTraceParent } from './traceparent';
import { NOOP_SPAN } from './trace-span';

const CALLER = '+15551110000';
const CALLED = '+15552220000';
const SAID = 'my account number is 4242 and my name is Alice';

function observedCall(overrides: Partial<ObservedCall> = {}): ObservedCall & { endedAt?: number } {
  const now = Date.now();
  return {
    callSid: 'CA' + 'a'.repeat(32),
    streamSid: 'MZ' + 'b'.repeat(32),
    from: CALLER,
    to: CALLED,
    profile: 'support',
    direction: 'inbound',
    model: 'gpt-realtime-2.1',
    origin: 'twilio',
    state: 'active',
    customParameters: { From: CALLER, To: CALLED },
    connectedAt: now - 20,
    startedAt: now - 10,
    assistantSpeaking: false,
    traffic: { framesFromCaller: 0, framesToCaller: 0, bytesFromCaller: 0, bytesToCaller: 0, bytesDroppedFromCaller: 0 },
    ...overrides,
  } as ObservedCall;
}

describe('CallTracer', () => {
  let exporter: InMemorySpanExporter;
  let tracing: GatewayTracing;
  let events: CallEvents;

  beforeEach(async () => {
    exporter = new InMemorySpanExporter();
    tracing = new GatewayTracing({ enabled: true, serviceName: 'voice-gateway-test', exporters: [], spanExporter: exporter });
    await tracing.start();
    events = new CallEvents();
    events.subscribe(new CallTracer(tracing));
  });

  afterEach(async () => {
    await tracing.onApplicationShutdown();
  });

  const spans = () => exporter.getFinishedSpans();
  const byName = (name: string) => spans().filter((span) => span.name === name);
  const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

  /** A whole call, as the orchestrator reports it: connect, ready, two turns, a barge-in, a tool call (failed), a reconnect. */
  function playCall(call: ObservedCall): void {
    events.emit('callStarted', call);
    events.emit('openAiConnected', call, 40);
    events.emit('sessionReady', call, 120);
    events.emit('callerSpeechStarted', call);
    events.emit('callerSpeechStopped', call);
    events.emit('callerTranscript', call, 'item_1', SAID);
    events.emit('assistantAudioStarted', call, 'resp_1', 640);
    events.emit('assistantTranscript', call, 'item_2', `Thanks Alice, I see ${CALLER}`);
    events.emit('bargeIn', call, [{ itemId: 'item_2', playedMs: 800, sentMs: 2400 }]);
    events.emit('toolCalled', call, { name: 'lookup_order', arguments: JSON.stringify({ phone: CALLER }), error: `no order for ${CALLER}`, startedAt: Date.now() - 30, durationMs: 25 });
    events.emit('dtmf', call, '4');
    events.emit('openAiError', call, 'server_error', `about ${SAID}`);
    events.emit('openAiReconnect', call, 1);
    events.emit('openAiConnected', call, 900);
    events.emit('callerSpeechStopped', call);
    (call as { endedAt?: number }).endedAt = Date.now();
    events.emit('callEnded', call, 'caller-hung-up');
  }

  it('makes one trace per call: a `call` root with its connect, setup, turn, barge-in, tool and reconnect spans as children', () => {
    const call = observedCall();
    playCall(call);
    const [root] = byName('call');
    expect(root).toBeDefined();
    expect(parentOf(root)).toBeUndefined();
    expect(root.attributes).toMatchObject({
      'call.sid': call.callSid,
      'call.direction': 'inbound',
      'call.origin': 'twilio',
      'assistant.profile': 'support',
      'openai.model': 'gpt-realtime-2.1',
      'call.end_reason': 'caller-hung-up',
      'openai.setup_ms': 120,
    });
    expect(root.resource.attributes['service.name']).toBe('voice-gateway-test');
    const names = spans().map((span) => span.name).sort();
    expect(names).toEqual(['barge_in', 'call', 'openai.connect', 'openai.reconnect', 'openai.session_ready', 'tool.call', 'turn', 'turn']);
    for (const span of spans()) {
      expect(span.spanContext().traceId).toBe(root.spanContext().traceId);
      if (span !== root) expect(parentOf(span)).toBe(root.spanContext().spanId);
    }
    const [answered, unanswered] = byName('turn');
    expect(answered.attributes).toMatchObject({ 'turn.number': 1, 'turn.latency_ms': 640, 'turn.answered': true });
    expect(unanswered.attributes).toMatchObject({ 'turn.number': 2, 'turn.answered': false });
    expect(byName('barge_in')[0].attributes).toMatchObject({ 'barge_in.heard_ms': 800, 'barge_in.sent_ms': 2400 });
    const [tool] = byName('tool.call');
    expect(tool.attributes).toMatchObject({ 'tool.name': 'lookup_order', 'tool.duration_ms': 25 });
    expect(tool.status).toEqual({ code: 2, message: 'tool failed' });
    expect(byName('openai.reconnect')[0].attributes).toMatchObject({ 'openai.reconnect.attempt': 1 });
    expect(root.events.map((event) => [event.name, event.attributes])).toEqual([['openai.error', { 'openai.error.code': 'server_error' }]]);
    expect(byName('openai.connect')[0].status.code).toBe(0);
  });

  it('never records a phone number, transcript text, tool arguments, error text or a keypad digit', () => {
    playCall(observedCall());
    const values = spans().flatMap((span) => [
      span.name,
      span.status.message ?? '',
      ...Object.values(span.attributes).map(String),
      ...span.events.flatMap((event) => [event.name, ...Object.values(event.attributes ?? {}).map(String)]),
    ]);
    expect(values.length).toBeGreaterThan(20);
    for (const value of values) {
      expect(value).not.toContain('555111');
      expect(value).not.toContain('555222');
      expect(value).not.toMatch(/Alice|account number|4242/);
    }
    expect(Object.keys(spans().find((span) => span.name === 'call')!.attributes).sort()).toEqual(
      ['assistant.profile', 'call.direction', 'call.end_reason', 'call.origin', 'call.sid', 'openai.model', 'openai.setup_ms'],
    );
  });

  it('adds the assistant lookup, which comes before callStarted, and ends openai.connect when the socket opened during it', () => {
    const call = observedCall();
    events.emit('openAiConnected', call, 15);
    events.emit('assistantLookup', call, 'timeout', 800);
    events.emit('callStarted', call);
    events.emit('callEnded', call, 'caller-hung-up');
    const [root] = byName('call');
    const [lookup] = byName('assistant.lookup');
    expect(parentOf(lookup)).toBe(root.spanContext().spanId);
    expect(lookup.attributes).toEqual({ 'lookup.outcome': 'timeout' });
    expect(lookup.status.code).toBe(2);
    expect(lookup.duration[0] * 1000 + lookup.duration[1] / 1e6).toBeCloseTo(800, -1);
    const [connect] = byName('openai.connect');
    expect(connect.endTime[0] * 1000 + connect.endTime[1] / 1e6).toBeLessThanOrEqual(lookup.endTime[0] * 1000 + lookup.endTime[1] / 1e6 + 1);
  });

  it('continues the webhook’s trace from the traceparent the stream carried', () => {
    const webhook = tracing.startSpan('twilio.webhook', { kind: 'server' });
    const traceParent = webhook.traceParent!;
    webhook.end();
    const call = observedCall({ traceParent });
    playCall(call);
    const [root] = byName('call');
    const parent = parseTraceParent(traceParent)!;
    expect(root.spanContext().traceId).toBe(parent.traceId);
    expect(parentOf(root)).toBe(parent.spanId);
  });

  it('joins spans started with a live call’s CallSid to its trace, and ends what is still open when the call ends', () => {
    const call = observedCall();
    events.emit('callStarted', call);
    const rest = tracing.startSpan('twilio.rest', { callSid: call.callSid, kind: 'client' });
    rest.end();
    expect(tracing.traceParentFor(call.callSid!)).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    (call as { endedAt?: number }).endedAt = Date.now();
    events.emit('callEnded', call, 'openai-failed');
    expect(tracing.traceParentFor(call.callSid!)).toBeUndefined();
    const [root] = byName('call');
    expect(parentOf(byName('twilio.rest')[0])).toBe(root.spanContext().spanId);
    // Neither connect nor setup finished: both end with the call, marked failed.
    for (const name of ['openai.connect', 'openai.session_ready']) expect(byName(name)[0].status).toEqual({ code: 2, message: 'call ended first' });
    expect(root.status.code).toBe(2);
  });

  it('an ill-formed traceparent starts a new trace', () => {
    expect(parseTraceParent('00-' + '0'.repeat(32) + '-' + '1'.repeat(16) + '-01')).toBeUndefined();
    expect(parseTraceParent('00-abc-def-01')).toBeUndefined();
    expect(parseTraceParent(formatTraceParent('a'.repeat(32), 'b'.repeat(16), true))).toEqual({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), sampled: true });
    playCall(observedCall({ traceParent: '00-not-a-trace' }));
    expect(parentOf(byName('call')[0])).toBeUndefined();
  });
});

describe('sampling', () => {
  async function tracerWith(sampling: ConstructorParameters<typeof GatewayTracing>[0]['sampling']) {
    const exporter = new InMemorySpanExporter();
    const tracing = new GatewayTracing({ enabled: true, serviceName: 'sampled', exporters: [], spanExporter: exporter, sampling });
    await tracing.start();
    const events = new CallEvents();
    events.subscribe(new CallTracer(tracing));
    return { exporter, tracing, events };
  }

  it('keeps a whole call or none of it: a webhook not sampled drops the call’s spans, always_off drops all', async () => {
    const parentBased = await tracerWith(undefined);
    const unsampled = formatTraceParent('c'.repeat(32), 'd'.repeat(16), false);
    const call = observedCall({ traceParent: unsampled });
    parentBased.events.emit('callStarted', call);
    parentBased.events.emit('toolCalled', call, { name: 't', arguments: '{}', startedAt: Date.now(), durationMs: 1 });
    parentBased.events.emit('callEnded', call, 'caller-hung-up');
    expect(parentBased.exporter.getFinishedSpans()).toEqual([]);
    const sampledCall = observedCall({ traceParent: formatTraceParent('c'.repeat(32), 'd'.repeat(16), true) });
    parentBased.events.emit('callStarted', sampledCall);
    parentBased.events.emit('callEnded', sampledCall, 'caller-hung-up');
    expect(parentBased.exporter.getFinishedSpans().map((span) => span.name).sort()).toEqual(['call', 'openai.connect', 'openai.session_ready']);
    await parentBased.tracing.onApplicationShutdown();

    const off = await tracerWith({ sampler: 'always_off', ratio: 1 });
    const another = observedCall();
    off.events.emit('callStarted', another);
    off.events.emit('callEnded', another, 'caller-hung-up');
    expect(off.exporter.getFinishedSpans()).toEqual([]);
    await off.tracing.onApplicationShutdown();
  });
});

describe('GatewayTracing off', () => {
  it('never starts the SDK: every span is the shared no-op', async () => {
    const tracing = new GatewayTracing({ enabled: false, serviceName: 'voice-gateway', exporters: [] });
    await tracing.start();
    expect(tracing.enabled).toBe(false);
    const span = tracing.startSpan('twilio.rest', { callSid: 'CA1' });
    expect(span).toBe(NOOP_SPAN);
    expect(span.traceParent).toBeUndefined();
    span.setAttribute('a', 1);
    span.end();
    expect(tracing.traceParentFor('CA1')).toBeUndefined();
    await tracing.onApplicationShutdown();
  });
});

/**
 * What tracing costs on the call path: the call events of a typical call emitted with the tracer
 * subscribed (spans made and exported to memory) and without (tracing off: nothing subscribed).
 * Printed, not asserted: timing on a shared machine is no test.
 */
describe('cost per call event (micro-benchmark)', () => {
  it('measures tracing on vs off', async () => {
    const CALLS = 2000;
    const run = (events: CallEvents) => {
      const started = process.hrtime.bigint();
      let emitted = 0;
      for (let i = 0; i < CALLS; i++) {
        const call = observedCall({ callSid: `CA${i.toString(16).padStart(32, '0')}` });
        events.emit('callStarted', call);
        events.emit('openAiConnected', call, 40);
        events.emit('sessionReady', call, 120);
        for (let turn = 0; turn < 3; turn++) {
          events.emit('callerSpeechStarted', call);
          events.emit('callerSpeechStopped', call);
          events.emit('assistantAudioStarted', call, `resp_${turn}`, 600);
          events.emit('responseDone', call, `resp_${turn}`, 'completed', undefined);
        }
        events.emit('bargeIn', call, [{ itemId: 'i', playedMs: 500, sentMs: 900 }]);
        events.emit('toolCalled', call, { name: 't', arguments: '{}', startedAt: Date.now(), durationMs: 3 });
        events.emit('callEnded', call, 'caller-hung-up');
        emitted += 18;
      }
      return Number(process.hrtime.bigint() - started) / emitted;
    };
    const off = new CallEvents();
    const exporter = new InMemorySpanExporter();
    const tracing = new GatewayTracing({ enabled: true, serviceName: 'bench', exporters: [], spanExporter: exporter });
    await tracing.start();
    const on = new CallEvents();
    on.subscribe(new CallTracer(tracing));
    // As in production: the batch processor, spans queued for a background export to a collector.
    const collector = await FakeOtlpCollector.start();
    const batched = new GatewayTracing({ enabled: true, serviceName: 'bench', exporters: ['otlp'], otlpTracesUrl: `${collector.url}/v1/traces` });
    await batched.start();
    const onBatched = new CallEvents();
    onBatched.subscribe(new CallTracer(batched));
    run(off);
    run(on);
    run(onBatched);
    exporter.reset();
    const offNs = run(off);
    const onNs = run(on);
    const batchedNs = run(onBatched);
    expect(exporter.getFinishedSpans().length).toBe(CALLS * 8);
    console.log(
      `tracing cost per call event: off ${offNs.toFixed(0)} ns; on ${onNs.toFixed(0)} ns (synchronous in-memory export); on ${batchedNs.toFixed(0)} ns (batch processor, as in production) [${CALLS} calls x 18 events]`,
    );
    await tracing.onApplicationShutdown();
    await batched.onApplicationShutdown();
    expect(collector.spans.length).toBeGreaterThan(0);
    await collector.close();
  });
});
