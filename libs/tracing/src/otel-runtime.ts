/**
 * The only module that loads OpenTelemetry: imported dynamically by GatewayTracing when tracing is
 * on, so a gateway without it never loads the SDK.
 */
import { Logger } from '@nestjs/common';
import { diag, DiagLogLevel, ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api';
import type { DiagLogger } from '@opentelemetry/api';
import type { Attributes, Context, Span, Tracer } from '@opentelemetry/api';
import { defaultResource, envDetector, detectResources, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import type { Sampler, SpanProcessor } from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { createOtlpExporter } from './otlp-exporter';
import { formatTraceParent, parseTraceParent } from './traceparent';
import type { StartSpanOptions, TraceAttributes, TraceAttributeValue, TraceSpan } from './trace-span';
import type { TraceSampling, TracingModuleOptions } from './tracing-options';

const KINDS = { server: SpanKind.SERVER, client: SpanKind.CLIENT, internal: SpanKind.INTERNAL } as const;

/** One OpenTelemetry span behind the gateway's TraceSpan. */
export class OtelSpan implements TraceSpan {
  private ended = false;

  constructor(readonly span: Span) {}

  setAttribute(key: string, value: TraceAttributeValue): void {
    this.span.setAttribute(key, value);
  }

  setError(message?: string): void {
    this.span.setStatus({ code: SpanStatusCode.ERROR, message });
  }

  addEvent(name: string, attributes?: TraceAttributes): void {
    this.span.addEvent(name, attributes && defined(attributes));
  }

  end(endTime?: number): void {
    if (this.ended) return;
    this.ended = true;
    this.span.end(endTime);
  }

  get traceParent(): string {
    const { traceId, spanId, traceFlags } = this.span.spanContext();
    return formatTraceParent(traceId, spanId, (traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED);
  }
}

/** How often the SDK's own problems (a collector that cannot be reached) are logged at most. */
const DIAGNOSTICS_LOG_INTERVAL_MS = 60_000;

/**
 * The SDK's warnings and errors (failed exports among them) in the gateway's log, at most one line a
 * minute: a collector that is down must be visible without flooding the log.
 */
function sdkDiagnostics(): DiagLogger {
  const logger = new Logger('Tracing');
  let lastAt = -Infinity;
  let suppressed = 0;
  const log = (message: string, ...args: unknown[]) => {
    const now = Date.now();
    if (now - lastAt < DIAGNOSTICS_LOG_INTERVAL_MS) {
      suppressed++;
      return;
    }
    lastAt = now;
    const detail = args.map((arg) => (arg instanceof Error ? arg.message : typeof arg === 'string' ? arg : '')).filter(Boolean).join(' ');
    logger.warn(`OpenTelemetry: ${message}${detail ? ` ${detail}` : ''}${suppressed ? ` (${suppressed} more since the last line)` : ''}`);
    suppressed = 0;
  };
  const ignore = () => undefined;
  return { error: log, warn: log, info: ignore, debug: ignore, verbose: ignore };
}

export class TracingRuntime {
  private readonly tracer: Tracer;

  private constructor(private readonly provider: TracerProvider) {
    this.tracer = provider.getTracer('voice-gateway');
  }

  static async create(options: TracingModuleOptions): Promise<TracingRuntime> {
    diag.setLogger(sdkDiagnostics(), { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
    // OTEL_RESOURCE_ATTRIBUTES (read by the SDK's detector) under the configured service name.
    const resource = defaultResource()
      .merge(detectResources({ detectors: [envDetector] }))
      .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName }));
    const spanProcessors: SpanProcessor[] = [];
    if (options.spanExporter) spanProcessors.push(new SimpleSpanProcessor({ exporter: options.spanExporter }));
    else {
      for (const kind of options.exporters) {
        if (kind === 'console') spanProcessors.push(new SimpleSpanProcessor({ exporter: new ConsoleSpanExporter() }));
        else {
          const exporter = await createOtlpExporter(options.otlpProtocol ?? 'http/protobuf', options.otlpTracesUrl ?? 'http://localhost:4318/v1/traces');
          spanProcessors.push(new BatchSpanProcessor({ exporter }));
        }
      }
    }
    return new TracingRuntime(new TracerProvider({ resource, spanProcessors, sampler: sampler(options.sampling) }));
  }

  startSpan(name: string, options: StartSpanOptions, parentSpan: TraceSpan | undefined): OtelSpan {
    const parent = this.parentContext(options.parent, parentSpan);
    const span = this.tracer.startSpan(
      name,
      { kind: KINDS[options.kind ?? 'internal'], attributes: options.attributes && defined(options.attributes), startTime: options.startTime },
      parent,
    );
    return new OtelSpan(span);
  }

  forceFlush(): Promise<void> {
    return this.provider.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.provider.shutdown();
  }

  private parentContext(traceParent: string | undefined, parentSpan: TraceSpan | undefined): Context {
    if (parentSpan instanceof OtelSpan) return trace.setSpan(ROOT_CONTEXT, parentSpan.span);
    const remote = parseTraceParent(traceParent);
    if (!remote) return ROOT_CONTEXT;
    return trace.setSpanContext(ROOT_CONTEXT, {
      traceId: remote.traceId,
      spanId: remote.spanId,
      traceFlags: remote.sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
      isRemote: true,
    });
  }
}

/** The standard samplers, by their OTEL_TRACES_SAMPLER names. */
export function sampler(sampling: TraceSampling = { sampler: 'parentbased_always_on', ratio: 1 }): Sampler {
  const root = (kind: string): Sampler => (kind === 'always_off' ? new AlwaysOffSampler() : kind === 'traceidratio' ? new TraceIdRatioBasedSampler(sampling.ratio) : new AlwaysOnSampler());
  const { sampler: name } = sampling;
  return name.startsWith('parentbased_') ? new ParentBasedSampler({ root: root(name.slice('parentbased_'.length)) }) : root(name);
}

function defined(attributes: TraceAttributes): Attributes {
  const out: Attributes = {};
  for (const key in attributes) {
    const value = attributes[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}
