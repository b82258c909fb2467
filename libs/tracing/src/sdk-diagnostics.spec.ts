import { Logger } from '@nestjs/common';
import { diag } from '@opentelemetry/api';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { GatewayTracing } from './gateway-tracing.service';

describe('the OpenTelemetry SDK diagnostics', () => {
  afterEach(() => vi.restoreAllMocks());

  it('reach the log once tracing is on (a failing collector is visible), one line for a burst', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const tracing = new GatewayTracing({ enabled: true, serviceName: 'diag-test', exporters: ['otlp'], otlpTracesUrl: 'http://127.0.0.1:9/v1/traces' });
    await tracing.start();
    // What the SDK's export path reports when the collector refuses the connection, three times.
    for (let i = 0; i < 3; i++) diag.error('Failed to export spans', new Error('connect ECONNREFUSED 127.0.0.1:9'));
    diag.debug('not logged');
    await tracing.onApplicationShutdown().catch(() => undefined);
    const lines = warn.mock.calls.map(([message]) => String(message)).filter((message) => message.startsWith('OpenTelemetry:'));
    expect(lines).toEqual(['OpenTelemetry: Failed to export spans connect ECONNREFUSED 127.0.0.1:9']);
  });
});
