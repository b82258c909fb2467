import type { OperationsModuleOptions } from '@app/operations';
import type { OtlpProtocol, TraceExporterKind, TraceSampling, TracingModuleOptions } from '@app/tracing';
import { IsIn, IsInt, IsNumber, IsOptional, IsString, IsUrl, Matches, Max, Min, MinLength } from 'class-validator';
import { commaSeparated, EmptyMeansUnset, ToNumber } from './config-owner';
import type { ConfigOwner } from './config-owner';

const OTLP_PROTOCOLS: OtlpProtocol[] = ['grpc', 'http/protobuf', 'http/json'];

/** Running in production: the graceful drain and admission of new calls (libs/operations). */
export class OperationsVariables {
  /** Seconds a SIGTERM waits for live calls to end before saying goodbye to the rest. */
  @ToNumber() @IsNumber() @Min(0) @Max(3600)
  DRAIN_TIMEOUT_S: number;

  /** Calls this process takes at once; further calls are refused politely. Unset: no limit. */
  @EmptyMeansUnset() @IsOptional() @ToNumber() @IsInt() @Min(1)
  MAX_CONCURRENT_CALLS?: number;

  /** Streams beyond MAX_CONCURRENT_CALLS a process still serves (calls whose webhook another instance answered). */
  @EmptyMeansUnset() @IsOptional() @ToNumber() @IsInt() @Min(0)
  MAX_CONCURRENT_CALLS_HEADROOM?: number;

  /** Calls the whole fleet takes at once (counted in Redis); further calls are refused politely. Unset: no limit. */
  @EmptyMeansUnset() @IsOptional() @ToNumber() @IsInt() @Min(1)
  FLEET_MAX_CONCURRENT_CALLS?: number;

  /** Spoken (<Say>) to callers refused while draining or at capacity. */
  @IsString() @MinLength(1)
  CALL_REFUSED_MESSAGE: string;

  /** Spoken (<Say>) to callers still connected when the drain timeout passes. */
  @IsString() @MinLength(1)
  DRAIN_GOODBYE_MESSAGE: string;

  /** A collector's base URL: over HTTP `/v1/traces` is appended, over gRPC it is used as is; set, traces are on. */
  @EmptyMeansUnset() @IsOptional() @IsUrl({ protocols: ['http', 'https'], require_tld: false, require_protocol: true })
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;

  /** The traces endpoint itself (used as given, whatever the protocol); wins over OTEL_EXPORTER_OTLP_ENDPOINT. */
  @EmptyMeansUnset() @IsOptional() @IsUrl({ protocols: ['http', 'https'], require_tld: false, require_protocol: true })
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string;

  /** Where traces go: `otlp`, `console`, both (comma-separated), or `none`. */
  @EmptyMeansUnset() @IsOptional()
  @Matches(/^\s*(otlp|console|none)\s*(,\s*(otlp|console|none)\s*)*$/, { message: 'OTEL_TRACES_EXPORTER must be otlp, console or none (comma-separated); other exporters are not built in' })
  OTEL_TRACES_EXPORTER?: string;

  /** The OTLP transport of every signal: `grpc`, `http/protobuf` (the default) or `http/json`. */
  @EmptyMeansUnset() @IsOptional() @IsIn(OTLP_PROTOCOLS, { message: `OTEL_EXPORTER_OTLP_PROTOCOL must be ${OTLP_PROTOCOLS.join(', ')}` })
  OTEL_EXPORTER_OTLP_PROTOCOL?: OtlpProtocol;

  /** The OTLP transport of traces; wins over OTEL_EXPORTER_OTLP_PROTOCOL. */
  @EmptyMeansUnset() @IsOptional() @IsIn(OTLP_PROTOCOLS, { message: `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL must be ${OTLP_PROTOCOLS.join(', ')}` })
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL?: OtlpProtocol;

  /** Which traces are kept: the standard sampler names. */
  @IsIn(['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'], {
    message: 'OTEL_TRACES_SAMPLER must be always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off or parentbased_traceidratio',
  })
  OTEL_TRACES_SAMPLER: TraceSampling['sampler'];

  /** The share of traces the `traceidratio` samplers keep, 0–1. */
  @EmptyMeansUnset() @IsOptional() @ToNumber() @IsNumber() @Min(0) @Max(1)
  OTEL_TRACES_SAMPLER_ARG?: number;

  /** `service.name` of the traces. */
  @IsString() @MinLength(1)
  OTEL_SERVICE_NAME: string;
}

/** Operations' options plus the traces' (TracingModule). */
export type OperationsSection = OperationsModuleOptions & { tracing: TracingModuleOptions };

/**
 * Traces are on when a collector is named or an exporter chosen (`none` switches them off whatever
 * else is set); otherwise OpenTelemetry is never loaded.
 */
export function tracingOptions(env: OperationsVariables): TracingModuleOptions {
  const chosen = commaSeparated(env.OTEL_TRACES_EXPORTER);
  const protocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf';
  const endpoint = otlpTracesEndpoint(env, protocol);
  const exporters: TraceExporterKind[] = chosen.includes('none')
    ? []
    : chosen.length > 0
      ? [...new Set(chosen as TraceExporterKind[])]
      : endpoint
        ? ['otlp']
        : [];
  const otlp = exporters.includes('otlp');
  return {
    enabled: exporters.length > 0,
    serviceName: env.OTEL_SERVICE_NAME,
    exporters,
    sampling: { sampler: env.OTEL_TRACES_SAMPLER, ratio: env.OTEL_TRACES_SAMPLER_ARG ?? 1 },
    otlpProtocol: otlp ? protocol : undefined,
    // The specification's defaults when only OTEL_TRACES_EXPORTER=otlp is set.
    otlpTracesUrl: otlp ? (endpoint ?? (protocol === 'grpc' ? 'http://localhost:4317' : 'http://localhost:4318/v1/traces')) : undefined,
  };
}

/** The traces endpoint as the OpenTelemetry specification builds it: over HTTP, the base URL gets the signal's path; gRPC has none. */
function otlpTracesEndpoint(env: OperationsVariables, protocol: OtlpProtocol): string | undefined {
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!base || protocol === 'grpc') return base;
  return `${base.replace(/\/+$/, '')}/v1/traces`;
}

export const operationsConfig: ConfigOwner<OperationsSection> = {
  variables: OperationsVariables,
  defaults: {
    all: {
      DRAIN_TIMEOUT_S: '300',
      CALL_REFUSED_MESSAGE: 'Sorry, we cannot take your call right now. Please call again in a moment. Goodbye.',
      DRAIN_GOODBYE_MESSAGE: 'Sorry, we have to end this call now. Please call again. Goodbye.',
      OTEL_SERVICE_NAME: 'voice-gateway',
      OTEL_TRACES_SAMPLER: 'parentbased_always_on',
    },
  },
  section: (env) => ({
    drainTimeoutMs: env.DRAIN_TIMEOUT_S * 1000,
    maxConcurrentCalls: env.MAX_CONCURRENT_CALLS,
    // By default a quarter more, for streams whose webhook was answered by a less busy instance.
    streamHeadroom: env.MAX_CONCURRENT_CALLS_HEADROOM ?? (env.MAX_CONCURRENT_CALLS ? Math.ceil(env.MAX_CONCURRENT_CALLS / 4) : 0),
    fleetMaxConcurrentCalls: env.FLEET_MAX_CONCURRENT_CALLS,
    callRefusedMessage: env.CALL_REFUSED_MESSAGE,
    drainGoodbyeMessage: env.DRAIN_GOODBYE_MESSAGE,
    tracing: tracingOptions(env),
  }),
};
