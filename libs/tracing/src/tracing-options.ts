import type { SpanExporter } from '@opentelemetry/sdk-trace';

/** Where spans go: OTLP (over `OtlpProtocol`), or printed to stdout. */
export type TraceExporterKind = 'otlp' | 'console';

/** The standard OTLP transports (OTEL_EXPORTER_OTLP_PROTOCOL values). */
export type OtlpProtocol = 'grpc' | 'http/protobuf' | 'http/json';

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
  /** How spans reach the collector; default `http/protobuf`. Only this protocol's exporter package is loaded. */
  otlpProtocol?: OtlpProtocol;
  /**
   * Where OTLP goes: over HTTP the traces URL itself (`http://collector:4318/v1/traces`), over gRPC
   * the collector's address (`http://collector:4317`; `https` for TLS). Headers, timeout and
   * compression come from OTEL_EXPORTER_OTLP_* as the SDK reads them.
   */
  otlpTracesUrl?: string;
  /**
   * An exporter of your own instead of `exporters` (tests use the SDK's InMemorySpanExporter);
   * spans reach it as they end.
   */
  spanExporter?: SpanExporter;
}
