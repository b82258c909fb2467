import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationShutdown } from '@nestjs/common';
import type { TracingRuntime } from './otel-runtime';
import { NOOP_SPAN } from './trace-span';
import type { StartSpanOptions, TraceSpan } from './trace-span';
import { TRACING_OPTIONS } from './tracing.module-definition';
import type { TracingModuleOptions } from './tracing-options';

/**
 * The gateway's traces (OpenTelemetry), for code that must not know OpenTelemetry: start a span,
 * set attributes, end it. Off (the default), the SDK is never loaded and every span is NOOP_SPAN.
 * Live calls' `call` spans are registered here by CallSid, so a span started with `callSid`
 * (a REST call, a lookup) joins that call's trace.
 */
@Injectable()
export class GatewayTracing implements OnApplicationShutdown {
  private readonly logger = new Logger('Tracing');
  private runtime?: TracingRuntime;
  private readonly callSpans = new Map<string, TraceSpan>();

  constructor(@Inject(TRACING_OPTIONS) private readonly options: TracingModuleOptions) {}

  /** True once the SDK is running (after `start`), false whenever tracing is off. */
  get enabled(): boolean {
    return this.runtime !== undefined;
  }

  /** Loads and starts the SDK when tracing is on (TracingModule does it before the application starts). */
  async start(): Promise<void> {
    if (!this.options.enabled || this.runtime) return;
    const { TracingRuntime } = await import('./otel-runtime.js');
    this.runtime = await TracingRuntime.create(this.options);
    const { otlpProtocol = 'http/protobuf', otlpTracesUrl } = this.options;
    const where = this.options.spanExporter ? 'a custom exporter' : this.options.exporters.map((kind) => (kind === 'otlp' ? `${otlpTracesUrl} over OTLP ${otlpProtocol}` : 'the console')).join(' and ');
    this.logger.log(`traces of service "${this.options.serviceName}" go to ${where}`);
  }

  /** A span, ended by the caller; NOOP_SPAN while tracing is off. Never throws. */
  startSpan(name: string, options: StartSpanOptions = {}): TraceSpan {
    const runtime = this.runtime;
    if (!runtime) return NOOP_SPAN;
    try {
      const parent = options.parentSpan ?? (options.parent === undefined && options.callSid !== undefined ? this.callSpans.get(options.callSid) : undefined);
      return runtime.startSpan(name, options, parent);
    } catch (error) {
      this.logger.warn(`cannot start span ${name}: ${error instanceof Error ? error.message : String(error)}`);
      return NOOP_SPAN;
    }
  }

  /** The W3C traceparent of a live call's `call` span on this process (to continue its trace elsewhere). */
  traceParentFor(callSid: string): string | undefined {
    return this.callSpans.get(callSid)?.traceParent;
  }

  /** Makes `span` the parent of spans started with this `callSid` (the call tracer, for each live call). */
  registerCall(callSid: string, span: TraceSpan): void {
    if (span !== NOOP_SPAN) this.callSpans.set(callSid, span);
  }

  unregisterCall(callSid: string, span: TraceSpan): void {
    if (this.callSpans.get(callSid) === span) this.callSpans.delete(callSid);
  }

  /** Exports every ended span now (tests, before a planned exit). */
  async flush(): Promise<void> {
    await this.runtime?.forceFlush();
  }

  /** Ends the calls' spans still open, exports what is left and stops the SDK. */
  async onApplicationShutdown(): Promise<void> {
    const runtime = this.runtime;
    if (!runtime) return;
    this.runtime = undefined;
    for (const span of this.callSpans.values()) {
      span.setAttribute('call.end_reason', 'shutdown');
      span.end();
    }
    this.callSpans.clear();
    try {
      await runtime.shutdown();
    } catch (error) {
      this.logger.warn(`traces not exported at shutdown: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
