import type { SpanExporter } from '@opentelemetry/sdk-trace';

/** Where spans go: OTLP over HTTP (protobuf), or printed to stdout. */
export type TraceExporterKind = 'otlp' | 'console';

/** Which traces are kept (the standard OTEL_TRACES_SAMPLER values); `ratio` for the `traceidratio` ones. */
export interface TraceSampling {
  sampler: 'always_on' | 'always_off' | 'traceidratio' | 'parentbased_always_on' | 'parentbased_always_off' | 'parentbased_traceidratio';
  ratio: number;
}

/** Options of TracingModule.forRoot (the application builds them from the standard OTEL_* variables). */
export interface TracingModuleOptions {
  /** Off: the OpenTelemetry SDK is never loaded and every span is a no-op. */
  enabled: boolean;
  /** `service.name` of every span's resource. */
  serviceName: string;
  /** Where spans are exported (each gets its own processor). */
  exporters: readonly TraceExporterKind[];
  /** Default `parentbased_always_on`: every call, unless the webhook's request said its trace is not sampled. */
  sampling?: TraceSampling;
  /** The OTLP/HTTP traces URL, e.g. `http://collector:4318/v1/traces` (headers, timeout and compression come from OTEL_EXPORTER_OTLP_* as the SDK reads them). */
  otlpTracesUrl?: string;
  /**
   * An exporter of your own instead of `exporters` (tests use the SDK's InMemorySpanExporter);
   * spans reach it as they end.
   */
  spanExporter?: SpanExporter;
}
