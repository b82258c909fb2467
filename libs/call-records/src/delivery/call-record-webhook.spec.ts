import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CallRecordsModuleOptions } from '../call-records.module-definition';
import { record } from '../../../../test/support/call-record-store.contract';
import { CallRecordWebhook, signWebhook } from './call-record-webhook';

/** A receiver answering each request with the next status of `statuses` (the last one repeats). */
async function receiver(statuses: number[]): Promise<{ server: Server; url: string; hits: number[] }> {
  const hits: number[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const status = statuses[Math.min(hits.length, statuses.length - 1)];
      hits.push(status);
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, hits };
}

const config = (webhookUrl: string | undefined, webhookMaxAttempts = 3) =>
  ({ webhookUrl, webhookSecret: 'secret-0123456789abcdef', webhookMaxAttempts, retryInitialMs: 10 }) as CallRecordsModuleOptions;

describe('CallRecordWebhook', () => {
  let server: Server | undefined;
  let webhook: CallRecordWebhook | undefined;
  afterEach(async () => {
    await webhook?.shutdown();
    server?.close();
  });

  it('retries 5xx and 429 with backoff, then gives up after the configured attempts', async () => {
    const r = await receiver([503, 429, 500, 200]);
    server = r.server;
    webhook = new CallRecordWebhook(config(r.url, 3));
    webhook.deliver(record('CA1'));
    await vi.waitFor(() => expect(r.hits).toEqual([503, 429, 500]));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(r.hits).toHaveLength(3);
  });

  it('does not retry a 4xx refusal', async () => {
    const r = await receiver([400, 200]);
    server = r.server;
    webhook = new CallRecordWebhook(config(r.url));
    webhook.deliver(record('CA2'));
    await vi.waitFor(() => expect(r.hits).toEqual([400]));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(r.hits).toEqual([400]);
  });

  it('is off without a URL', () => {
    webhook = new CallRecordWebhook(config(undefined));
    expect(webhook.enabled).toBe(false);
    webhook.deliver(record('CA3'));
  });

  it('signs the timestamp and the exact body', () => {
    const a = signWebhook('k', '1700000000', '{"a":1}');
    expect(a).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(signWebhook('k', '1700000001', '{"a":1}')).not.toBe(a);
    expect(signWebhook('k', '1700000000', '{"a":2}')).not.toBe(a);
    expect(signWebhook('other', '1700000000', '{"a":1}')).not.toBe(a);
  });
});
