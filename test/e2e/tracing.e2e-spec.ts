import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { registerHooks } from 'node:module';
import { Logger } from '@nestjs/common';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CallEvents } from '@app/orchestration';
import { FakeOtlpCollector, FakeTwilioRestApi } from '@app/simulators';
import type { CollectedSpan, SimulatedSession } from '@app/simulators';
import { GatewayTracing } from '@app/tracing';
import type { OtlpProtocol } from '@app/tracing';
import { GatewayHarness, startGateway } from '../support/gateway-harness';

/** Every module this process resolves from here on: the proof that the SDK is (not) loaded. */
const resolved: string[] = [];
registerHooks({
  resolve(specifier, context, nextResolve) {
    const result = nextResolve(specifier, context);
    if (result.url.includes('@opentelemetry') || result.url.includes('@grpc')) resolved.push(result.url);
    return result;
  },
});
const sdkLoaded = () => resolved.some((url) => /@opentelemetry\/(sdk-trace|exporter-trace-otlp-[a-z]+)\/|@grpc\//.test(url));
/** The OTLP exporter packages (and gRPC's client) loaded so far. */
const exportersLoaded = () => [...new Set(resolved.flatMap((url) => url.match(/@opentelemetry\/exporter-trace-otlp-[a-z]+|@grpc\/grpc-js/g) ?? []))].sort();

/** Each protocol: the gateway's variables, how the collector sees its exports, and the packages it alone loads. */
const PROTOCOLS: Array<{
  protocol: OtlpProtocol;
  env: (collector: FakeOtlpCollector) => Record<string, string>;
  endpoint: (collector: FakeOtlpCollector) => string;
  request: { path: string; contentType: string };
  packages: string[];
}> = [
  {
    protocol: 'http/protobuf',
    env: (collector) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.url }),
    endpoint: (collector) => `${collector.url}/v1/traces`,
    request: { path: '/v1/traces', contentType: 'application/x-protobuf' },
    packages: ['@opentelemetry/exporter-trace-otlp-proto'],
  },
  {
    protocol: 'http/json',
    env: (collector) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }),
    endpoint: (collector) => `${collector.url}/v1/traces`,
    request: { path: '/v1/traces', contentType: 'application/json' },
    packages: ['@opentelemetry/exporter-trace-otlp-http'],
  },
  {
    protocol: 'grpc',
    env: (collector) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.grpcUrl, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' }),
    endpoint: (collector) => collector.grpcUrl,
    request: { path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export', contentType: 'application/grpc' },
    packages: ['@grpc/grpc-js', '@opentelemetry/exporter-trace-otlp-grpc'],
  },
];
const protocolsRun: Array<(typeof PROTOCOLS)[number]> = [];

const ACCOUNT_SID = 'AC' + '1'.repeat(32);
const AUTH_TOKEN = 'tracing-e2e-twilio-auth-token-0123';
const CALLER = { From: '+15551110000', To: '+15552220000' };
const SAID = 'my secret is blue42 please';

describe('OpenTelemetry traces, end to end (fake OTLP collector on loopback: HTTP and gRPC)', () => {
  let collector: FakeOtlpCollector;
  let twilioApi: FakeTwilioRestApi;
  let gateway: GatewayHarness | undefined;

  beforeEach(async () => {
    collector = await FakeOtlpCollector.start();
    twilioApi = await FakeTwilioRestApi.start();
  });

  afterEach(async () => {
    vi.restoreAllMocks();
    await gateway?.close();
    gateway = undefined;
    await twilioApi.close();
    await collector.close();
  });

  const start = (env: Record<string, string | undefined>) =>
    startGateway(
      { TWILIO_ACCOUNT_SID: ACCOUNT_SID, TWILIO_AUTH_TOKEN: AUTH_TOKEN, TWILIO_API_BASE_URL: twilioApi.baseUrl, ...env },
      { autoRespond: false, reply: ({ toolOutputs }) => (toolOutputs ? 'It is noon.' : 'Hello there, how can I help you today?') },
    );

  /** A call with a greeting the caller interrupts, a turn, a tool call and end_call (which hangs up through Twilio's REST API). */
  async function playCall(harness: GatewayHarness) {
    const call = harness.newCall({ customParameters: CALLER });
    await call.connect();
    const session: SimulatedSession = await harness.simulator.nextSession();
    await session.waitForClientEvent('response.create');
    await call.waitForAudio(4000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    session.startSpeech();
    await session.waitForClientEvent('conversation.item.truncate');
    session.stopSpeech({ respond: false, transcript: SAID });
    session.respond({ text: 'Sure.' });
    const { callId } = session.callFunction('get_current_time', {});
    await session.waitForClientEvent('conversation.item.create', (e) => e.item?.call_id === callId);
    await session.waitForClientEvent('response.create', (e) => e.response === undefined || !e.response.instructions?.includes?.('Greet'));
    session.callFunction('end_call', { reason: 'done' });
    await twilioApi.waitForRequest((r) => r.form.Status === 'completed', 10_000);
    await call.waitForClose(10_000);
    return call;
  }

  it('off by default: with OTEL_TRACES_EXPORTER=none nothing reaches the collector and the SDK is never loaded', async () => {
    gateway = await start({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: collector.url });
    expect(gateway.config.operations.tracing.enabled).toBe(false);
    expect(gateway.app.get(GatewayTracing).enabled).toBe(false);
    // The tracer is not among the call observers: calls pay nothing.
    expect((gateway.app.get(CallEvents) as unknown as { observers: unknown[] }).observers.some((o) => o?.constructor?.name === 'CallTracer')).toBe(false);
    const call = gateway.newCall({ customParameters: CALLER });
    await call.connect();
    expect(call.streamParameters.traceparent).toBeUndefined();
    await gateway.simulator.nextSession();
    call.hangUp();
    await gateway.close();
    gateway = undefined;
    expect(collector.requests).toEqual([]);
    expect(sdkLoaded()).toBe(false);
  });

  it.each(PROTOCOLS)('exports one trace per call (webhook, call, OpenAI setup, turn, barge-in, tools, Twilio REST) to OTEL_EXPORTER_OTLP_ENDPOINT over $protocol, free of numbers and text', async (protocol) => {
    protocolsRun.push(protocol);
    const logged = vi.spyOn(Logger.prototype, 'log');
    // The call record's webhook receiver: its delivery gets a span too.
    const deliveries: string[] = [];
    const receiver = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        deliveries.push(request.url ?? '');
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const receiverHost = `127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    gateway = await start({
      ...protocol.env(collector),
      OTEL_SERVICE_NAME: 'gateway-under-test',
      CALL_RECORD_WEBHOOK_URL: `http://${receiverHost}/records?token=secret-in-query`,
      CALL_RECORD_WEBHOOK_SECRET: 'tracing-e2e-webhook-secret',
    });
    expect(gateway.app.get(GatewayTracing).enabled).toBe(true);
    expect(sdkLoaded()).toBe(true);
    // Only the chosen protocol's exporter is loaded (each case is the first to choose its protocol).
    expect(exportersLoaded()).toEqual(protocolsRun.flatMap((run) => run.packages).sort());
    expect(logged.mock.calls.map(([message]) => String(message))).toContain(`traces of service "gateway-under-test" go to ${protocol.endpoint(collector)} over OTLP ${protocol.protocol}`);
    const seenParameters: Array<Record<string, string>> = [];
    gateway.app.get(CallEvents).subscribe({ callStarted: (observed) => void seenParameters.push({ ...observed.customParameters }) });
    const call = await playCall(gateway);
    await call.waitUntil(() => deliveries.length > 0, 10_000, 'the call record webhook');
    receiver.close();
    // The stream's checks ignored the traceparent, and the call's parameters never show it.
    expect(Object.keys(seenParameters[0]).sort()).toEqual(['CallSid', 'From', 'To']);
    // The webhook's TwiML handed the stream its trace context.
    expect(call.streamParameters.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    // Shutdown flushes the batch.
    await gateway.close();
    gateway = undefined;
    expect(collector.requests.length).toBeGreaterThan(0);
    for (const request of collector.requests) expect(request).toEqual({ method: 'POST', ...protocol.request });

    const spans = collector.spans;
    const webhook = one(spans, 'twilio.webhook');
    const root = one(spans, 'call');
    const traceId = webhook.traceId;
    const trace = spans.filter((span) => span.traceId === traceId);
    expect(spans.filter((span) => span.traceId !== traceId).map((span) => span.name)).toEqual(['webhook.delivery']);
    expect(webhook.parentSpanId).toBe('');
    expect(webhook.kind).toBe(2);
    expect(webhook.attributes).toMatchObject({ 'call.sid': call.callSid, 'http.request.method': 'POST', 'http.response.status_code': 200 });
    expect(root.parentSpanId).toBe(webhook.spanId);
    expect(root.resource['service.name']).toBe('gateway-under-test');
    expect(root.attributes).toMatchObject({ 'call.sid': call.callSid, 'call.direction': 'inbound', 'assistant.profile': 'default', 'call.end_reason': 'assistant-hung-up' });

    const children = (name: string) => trace.filter((span) => span.name === name);
    for (const name of ['openai.connect', 'openai.session_ready', 'turn', 'barge_in']) {
      expect(children(name).length, name).toBeGreaterThan(0);
      for (const span of children(name)) expect(span.parentSpanId, name).toBe(root.spanId);
    }
    expect(one(spans, 'openai.session_ready').endTimeUnixNano).toBeGreaterThanOrEqual(one(spans, 'openai.connect').endTimeUnixNano);
    const [turn] = children('turn');
    expect(turn.attributes['turn.answered']).toBe(true);
    expect(turn.attributes['turn.latency_ms']).toBeGreaterThanOrEqual(0);
    expect(one(spans, 'barge_in').attributes['barge_in.heard_ms']).toBeGreaterThan(0);
    expect(children('tool.call').map((span) => span.attributes['tool.name']).sort()).toEqual(['end_call', 'get_current_time']);
    const rest = one(spans, 'twilio.rest');
    expect(rest.parentSpanId).toBe(root.spanId);
    expect(rest.kind).toBe(3);
    expect(rest.attributes).toMatchObject({ 'http.request.method': 'POST', 'twilio.resource': '/2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json', 'http.response.status_code': 200 });

    // Webhook deliveries run after the call, in their own trace.
    const delivery = one(collector.spans, 'webhook.delivery');
    expect(delivery.attributes).toMatchObject({ 'webhook.event': 'call.ended', 'webhook.attempt': 1, 'server.address': receiverHost, 'http.response.status_code': 204, 'webhook.result': 'delivered' });

    const values = collector.spans.flatMap((span) => [...Object.values(span.attributes), ...span.events.flatMap((event) => Object.values(event.attributes)), span.status.message].map(String));
    for (const value of values) {
      expect(value).not.toContain('5551110000');
      expect(value).not.toContain('5552220000');
      expect(value).not.toContain('blue42');
      expect(value).not.toContain('secret-in-query');
    }
  });
});

function one(spans: CollectedSpan[], name: string): CollectedSpan {
  const found = spans.filter((span) => span.name === name);
  expect(found.map((span) => span.name), `one ${name} span`).toEqual([name]);
  return found[0];
}
