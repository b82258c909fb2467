import type { SpanExporter } from '@opentelemetry/sdk-trace';
import type { OtlpProtocol } from './tracing-options';

type OtlpExporterClass = new (config: { url: string }) => SpanExporter;

/** Each protocol's official exporter, imported only when chosen (the gRPC one brings @grpc/grpc-js). */
const EXPORTERS: Record<OtlpProtocol, () => Promise<OtlpExporterClass>> = {
  'http/protobuf': async () => (await import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter,
  'http/json': async () => (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter,
  grpc: async () => (await import('@opentelemetry/exporter-trace-otlp-grpc')).OTLPTraceExporter,
};

/** The OTLP exporter of `protocol`, sending to `url` (a traces URL over HTTP, a collector address over gRPC). */
export async function createOtlpExporter(protocol: OtlpProtocol, url: string): Promise<SpanExporter> {
  const OTLPTraceExporter = await EXPORTERS[protocol]();
  return new OTLPTraceExporter({ url });
}
