import { Logger } from '@nestjs/common';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { OpenAIModelLifecycle } from './model-lifecycle';
import type { ModelCheckOptions, OpenAIRealtimeModuleOptions } from './openai-realtime.module-definition';

const KEY = 'sk-test-0123456789abcdefghij';

/** A models endpoint (`GET /v1/models/{id}`) that knows these models and their shutdown dates, and 404s the rest. */
async function modelsApi(known: Record<string, string | null>) {
  const lookups: Array<{ model: string; headers: IncomingHttpHeaders }> = [];
  const server = createServer((req, res) => {
    const model = decodeURIComponent((req.url ?? '').replace(/^\/v1\/models\//, ''));
    lookups.push({ model, headers: req.headers });
    if (!Object.hasOwn(known, model)) return res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":"model_not_found"}}');
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: model, object: 'model', created: 1, owned_by: 'system', shutdown_date: known[model] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { apiBaseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, lookups, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

function lifecycle(check: ModelCheckOptions, auth: OpenAIRealtimeModuleOptions['auth'] = 'bearer'): OpenAIModelLifecycle {
  const options: OpenAIRealtimeModuleOptions = {
    url: 'ws://unused',
    apiKey: KEY,
    auth,
    model: check.models[0],
    connectTimeoutMs: 1000,
    connectAttempts: 1,
    maxReconnectsPerCall: 0,
    preReadyBufferMs: 0,
    modelCheck: check,
  };
  return new OpenAIModelLifecycle(options);
}

describe('OpenAIModelLifecycle', () => {
  let api: Awaited<ReturnType<typeof modelsApi>> | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await api?.close();
    api = undefined;
  });

  function captureLogs() {
    const lines: Array<[string, string]> = [];
    vi.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => void lines.push(['warn', String(message)]));
    vi.spyOn(Logger.prototype, 'log').mockImplementation((message: unknown) => void lines.push(['log', String(message)]));
    vi.spyOn(Logger.prototype, 'debug').mockImplementation(() => undefined);
    return lines;
  }

  it('warns about each announced shutdown, keeps it for the metrics, and says nothing of current models', async () => {
    api = await modelsApi({ 'gpt-realtime-2.1': '2027-09-30', 'gpt-realtime-2.1-mini': null, 'gpt-4o-mini-transcribe': '2027-02-26' });
    const logs = captureLogs();
    const models = lifecycle({ apiBaseUrl: api.apiBaseUrl, timeoutMs: 2000, models: ['gpt-realtime-2.1', 'gpt-realtime-2.1-mini', 'gpt-4o-mini-transcribe'] });
    models.onApplicationBootstrap();
    const lookups = await models.settled();
    expect(lookups.map((l) => l.outcome)).toEqual(['found', 'found', 'found']);
    expect(models.announcedShutdowns()).toEqual([
      { model: 'gpt-realtime-2.1', shutdownDate: '2027-09-30', shutdownAtSeconds: Date.parse('2027-09-30T00:00:00Z') / 1000 },
      { model: 'gpt-4o-mini-transcribe', shutdownDate: '2027-02-26', shutdownAtSeconds: Date.parse('2027-02-26T00:00:00Z') / 1000 },
    ]);
    expect(logs.filter(([level]) => level === 'warn').map(([, m]) => m)).toEqual([
      expect.stringMatching(/^OpenAI shuts model "gpt-realtime-2\.1" down on 2027-09-30 \(/),
      expect.stringMatching(/^OpenAI shuts model "gpt-4o-mini-transcribe" down on 2027-02-26 \(/),
    ]);
    // Looked up with the gateway's key, one request per model.
    expect(api.lookups.map((l) => [l.model, l.headers.authorization])).toEqual([
      ['gpt-realtime-2.1', `Bearer ${KEY}`],
      ['gpt-realtime-2.1-mini', `Bearer ${KEY}`],
      ['gpt-4o-mini-transcribe', `Bearer ${KEY}`],
    ]);
  });

  it('warns that OpenAI does not know a model, but takes an Azure 404 (a deployment name) as unknown', async () => {
    api = await modelsApi({});
    let logs = captureLogs();
    const openai = lifecycle({ apiBaseUrl: api.apiBaseUrl, timeoutMs: 2000, models: ['gpt-realtime-typo'] });
    openai.onApplicationBootstrap();
    expect(await openai.settled()).toEqual([{ model: 'gpt-realtime-typo', outcome: 'unknown', status: 404 }]);
    expect(logs).toEqual([['warn', 'OpenAI does not know the model "gpt-realtime-typo" (404): calls that use it will fail']]);

    vi.restoreAllMocks();
    logs = captureLogs();
    const azure = lifecycle({ apiBaseUrl: api.apiBaseUrl, timeoutMs: 2000, models: ['contoso-realtime'], azure: true }, 'api-key');
    azure.onApplicationBootstrap();
    expect(await azure.settled()).toEqual([{ model: 'contoso-realtime', outcome: 'unknown', status: 404 }]);
    expect(logs.filter(([level]) => level === 'warn')).toEqual([]);
    expect(api.lookups[1].headers['api-key']).toBe(KEY);
    expect(api.lookups[1].headers.authorization).toBeUndefined();
    expect(azure.announcedShutdowns()).toEqual([]);
  });

  it('gives up on a lookup that does not answer in time, without holding anything open', async () => {
    const sockets = new Set<import('node:net').Socket>();
    const silent = createServer(() => undefined);
    silent.on('connection', (socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const logs = captureLogs();
    const models = lifecycle({ apiBaseUrl: `http://127.0.0.1:${(silent.address() as AddressInfo).port}/v1`, timeoutMs: 100, models: ['gpt-realtime-2.1'] });
    const startedAt = Date.now();
    models.onApplicationBootstrap();
    expect(await models.settled()).toEqual([{ model: 'gpt-realtime-2.1', outcome: 'failed', reason: 'no answer within 100 ms' }]);
    expect(Date.now() - startedAt).toBeLessThan(1000);
    expect(logs[0][1]).toMatch(/could not look up the shutdown date of model "gpt-realtime-2\.1" \(no answer within 100 ms\)/);
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });
});
