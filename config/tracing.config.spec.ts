import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { InvalidEnvironmentError, loadGatewayConfig } from './environment';

const tracing = (env: NodeJS.ProcessEnv) => loadGatewayConfig({ NODE_ENV: 'local', ...env }).operations.tracing;

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadGatewayConfig({ NODE_ENV: 'local', ...env });
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidEnvironmentError);
    return (error as InvalidEnvironmentError).problems;
  }
  throw new Error('expected the configuration to be refused');
}

describe('tracing configuration (the standard OTEL_* variables)', () => {
  it('is off without a collector or an exporter, as service voice-gateway', () => {
    expect(tracing({})).toEqual({
      enabled: false,
      serviceName: 'voice-gateway',
      exporters: [],
      otlpProtocol: undefined,
      otlpTracesUrl: undefined,
      sampling: { sampler: 'parentbased_always_on', ratio: 1 },
    });
    expect(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_TRACES_EXPORTER: '' }).enabled).toBe(false);
  });

  it('turns on with OTEL_EXPORTER_OTLP_ENDPOINT (appending /v1/traces) or the traces endpoint itself, which wins', () => {
    expect(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toMatchObject({ enabled: true, exporters: ['otlp'], otlpTracesUrl: 'http://collector:4318/v1/traces' });
    expect(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://tempo.example.com/otlp/v1/traces' }).otlpTracesUrl).toBe(
      'https://tempo.example.com/otlp/v1/traces',
    );
  });

  it('turns on with OTEL_TRACES_EXPORTER (otlp to the SDK default URL, console, both); none switches it off whatever else is set', () => {
    expect(tracing({ OTEL_TRACES_EXPORTER: 'otlp' })).toMatchObject({ enabled: true, otlpProtocol: 'http/protobuf', otlpTracesUrl: 'http://localhost:4318/v1/traces' });
    expect(tracing({ OTEL_TRACES_EXPORTER: 'console' })).toMatchObject({ enabled: true, exporters: ['console'], otlpProtocol: undefined, otlpTracesUrl: undefined });
    expect(tracing({ OTEL_TRACES_EXPORTER: 'otlp, console', OTEL_SERVICE_NAME: 'voice-eu' })).toMatchObject({ exporters: ['otlp', 'console'], serviceName: 'voice-eu' });
    expect(tracing({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).enabled).toBe(false);
  });

  it('samples as OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG say', () => {
    expect(tracing({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' }).sampling).toEqual({ sampler: 'parentbased_traceidratio', ratio: 0.25 });
    expect(problemsOf({ OTEL_TRACES_SAMPLER: 'sometimes', OTEL_TRACES_SAMPLER_ARG: '2' }).map((problem) => problem.split(':')[0]).sort()).toEqual(['OTEL_TRACES_SAMPLER', 'OTEL_TRACES_SAMPLER_ARG']);
  });

  it('speaks OTLP over http/protobuf unless OTEL_EXPORTER_OTLP_TRACES_PROTOCOL or OTEL_EXPORTER_OTLP_PROTOCOL says grpc or http/json; the traces variable wins', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    expect(tracing(endpoint).otlpProtocol).toBe('http/protobuf');
    expect(tracing({ ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).otlpProtocol).toBe('http/json');
    expect(tracing({ ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }).otlpProtocol).toBe('grpc');
    expect(tracing({ ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json' }).otlpProtocol).toBe('http/json');
    expect(tracing({ ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: '' }).otlpProtocol).toBe('http/json');
  });

  it('builds the endpoint per protocol: /v1/traces appended to the base URL over HTTP, the base URL as is over gRPC, the traces endpoint always as given', () => {
    expect(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/otlp/', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).otlpTracesUrl).toBe('http://collector:4318/otlp/v1/traces');
    expect(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toMatchObject({ enabled: true, exporters: ['otlp'], otlpTracesUrl: 'http://collector:4317' });
    expect(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4317', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example.com:443', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' }).otlpTracesUrl).toBe(
      'https://traces.example.com:443',
    );
    expect(tracing({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/custom', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).otlpTracesUrl).toBe('http://collector:4318/custom');
  });

  it("defaults to the specification's endpoints when only OTEL_TRACES_EXPORTER=otlp is set: localhost:4318/v1/traces over HTTP, localhost:4317 over gRPC", () => {
    expect(tracing({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).otlpTracesUrl).toBe('http://localhost:4318/v1/traces');
    expect(tracing({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' })).toMatchObject({ otlpProtocol: 'grpc', otlpTracesUrl: 'http://localhost:4317' });
  });

  it('refuses what it cannot do, by name: other exporters, an unknown protocol, a bad URL', () => {
    const problems = problemsOf({
      OTEL_TRACES_EXPORTER: 'zipkin',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/thrift',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc/json',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318',
    });
    expect(problems.map((problem) => problem.split(':')[0]).filter((name) => name.startsWith('OTEL_')).sort()).toEqual([
      'OTEL_EXPORTER_OTLP_ENDPOINT',
      'OTEL_EXPORTER_OTLP_PROTOCOL',
      'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
      'OTEL_TRACES_EXPORTER',
    ]);
    expect(problems.find((problem) => problem.startsWith('OTEL_EXPORTER_OTLP_PROTOCOL'))).toMatch(/grpc, http\/protobuf, http\/json/);
  });
});
