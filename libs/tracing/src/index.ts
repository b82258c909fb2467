export { TracingModule } from './tracing.module';
export type { OtlpProtocol, TraceExporterKind, TraceSampling, TracingModuleOptions } from './tracing-options';
export { GatewayTracing } from './gateway-tracing.service';
export { CallTracer } from './call-tracer';
export { NOOP_SPAN } from './trace-span';
export type { StartSpanOptions, TraceAttributes, TraceAttributeValue, TraceSpan } from './trace-span';
export { formatTraceParent, parseTraceParent, TRACEPARENT_PARAMETER } from './traceparent';
export type { ParsedTraceParent } from './traceparent';
