import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, IncomingHttpHeaders, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CallRecordsModuleOptions } from '../call-records.module-definition';
import { callRecordSigner, signWebhook, WEBHOOK_DELIVERY_ID_HEADER, WEBHOOK_SIGNATURE_HEADER, WEBHOOK_TIMESTAMP_HEADER } from '../delivery/call-record-webhook';
import { SqliteCallRecordStore } from '../store/sqlite-call-record.store';
import { STANDARD_WEBHOOK_SIGNER, standardWebhookSigner } from '../webhooks/standard-webhooks';
import { OUTBOX_MAX_IN_FLIGHT, OutboxDispatcher } from './outbox-dispatcher';
import { OUTBOX_JOB_PREFIX, OUTBOX_JOB_SIGNER, OutboxJobs } from './outbox-jobs';
import type { OutboxOutcome } from './outbox-jobs';
import { OutboxSigners } from './outbox-signers';

const SECRET = 'secret-0123456789abcdef';

interface Hit {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A receiver answering each request with the next status of `statuses` (the last one repeats). */
async function receiver(statuses: number[], extraHeaders: Record<string, string> = {}): Promise<{ server: Server; url: string; hits: Hit[] }> {
  const hits: Hit[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const status = statuses[Math.min(hits.length, statuses.length - 1)];
      hits.push({ status, headers: req.headers, body: Buffer.concat(chunks).toString() });
      res.writeHead(status, extraHeaders).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, hits };
}

const config = (webhookMaxAttempts = 3) => ({ webhookMaxAttempts, retryInitialMs: 20 }) as CallRecordsModuleOptions;

describe('OutboxDispatcher', () => {
  let dir: string;
  let store: SqliteCallRecordStore;
  const servers: Server[] = [];
  const dispatchers: OutboxDispatcher[] = [];

  const dispatcher = (maxAttempts = 3) => {
    const signers = new OutboxSigners();
    signers.register('call.record', callRecordSigner(SECRET));
    const made = new OutboxDispatcher(store, signers, config(maxAttempts));
    made.pollMs = 20;
    dispatchers.push(made);
    return made;
  };
  const enqueue = async (destination: string, id = 'd-' + Math.random().toString(36).slice(2), body = '{"callSid":"CA1"}') => {
    await store.enqueue({ id, type: 'call.record', destination, signer: 'call.record', body });
    return id;
  };
  const serve = async (statuses: number[], headers?: Record<string, string>) => {
    const made = await receiver(statuses, headers);
    servers.push(made.server);
    return made;
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'outbox-dispatch-'));
    store = new SqliteCallRecordStore(join(dir, 'records.sqlite'));
    await store.migrate();
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    for (const made of dispatchers.splice(0)) await made.shutdown();
    for (const server of servers.splice(0)) server.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('signs each attempt, keeps one delivery id across retries, and removes the message once delivered', async () => {
    const r = await serve([503, 429, 204]);
    const id = await enqueue(r.url, 'delivery-1', '{"callSid":"CA1","text":"Grüezi"}');
    dispatcher().start();
    await vi.waitFor(() => expect(r.hits.map((h) => h.status)).toEqual([503, 429, 204]));
    for (const hit of r.hits) {
      expect(hit.headers[WEBHOOK_DELIVERY_ID_HEADER]).toBe('delivery-1');
      expect(hit.body).toBe('{"callSid":"CA1","text":"Grüezi"}');
      expect(hit.headers[WEBHOOK_SIGNATURE_HEADER]).toBe(signWebhook(SECRET, String(hit.headers[WEBHOOK_TIMESTAMP_HEADER]), hit.body));
    }
    await vi.waitFor(async () => expect(await store.find(id)).toBeUndefined());
  });

  it('gives up after the configured attempts, keeping the message as failed with the reason', async () => {
    const r = await serve([500]);
    const id = await enqueue(r.url);
    dispatcher(3).start();
    await vi.waitFor(async () => expect(await store.find(id)).toMatchObject({ status: 'failed', attempts: 3, lastError: 'HTTP 500' }));
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(r.hits).toHaveLength(3);
  });

  it('does not retry a 4xx refusal', async () => {
    const r = await serve([400]);
    const id = await enqueue(r.url);
    dispatcher().start();
    await vi.waitFor(async () => expect(await store.find(id)).toMatchObject({ status: 'failed', lastError: 'HTTP 400' }));
    expect(r.hits).toHaveLength(1);
  });

  it('never follows a redirect: the signed record does not go elsewhere', async () => {
    const elsewhere = await serve([204]);
    const r = await serve([307], { location: elsewhere.url });
    const id = await enqueue(r.url);
    dispatcher().start();
    await vi.waitFor(async () => expect(await store.find(id)).toMatchObject({ status: 'failed', lastError: 'HTTP 307: redirects are not followed' }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(elsewhere.hits).toEqual([]);
    expect(r.hits).toHaveLength(1);
  });

  it('retries when the receiver is unreachable, and delivers once it is back', async () => {
    const r = await serve([204]);
    const url = r.url;
    await new Promise((resolve) => r.server.close(resolve));
    const id = await enqueue(url);
    dispatcher(20).start();
    await vi.waitFor(async () => expect((await store.find(id))?.attempts).toBeGreaterThanOrEqual(2));
    expect((await store.find(id))?.lastError).toMatch(/ECONNREFUSED/);
    await new Promise<void>((resolve) => r.server.listen(Number(new URL(url).port), '127.0.0.1', resolve));
    await vi.waitFor(() => expect(r.hits).toHaveLength(1), { timeout: 5000 });
    await vi.waitFor(async () => expect(await store.find(id)).toBeUndefined());
  });

  it("lets another instance make an attempt the first one's death cut short, with the same delivery id", async () => {
    const r = await serve([204]);
    const id = await enqueue(r.url, 'delivery-2');
    // An instance claimed it and died mid-attempt: only its lease is left.
    expect(await store.claimDue(10, 200)).toHaveLength(1);
    const survivor = dispatcher();
    survivor.start();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(r.hits).toEqual([]);
    await vi.waitFor(() => expect(r.hits).toHaveLength(1), { timeout: 3000 });
    expect(r.hits[0].headers[WEBHOOK_DELIVERY_ID_HEADER]).toBe('delivery-2');
    await vi.waitFor(async () => expect(await store.find(id)).toBeUndefined());
  });

  it('is idle without any signer (no webhook configured)', async () => {
    const r = await serve([204]);
    await enqueue(r.url);
    const idle = new OutboxDispatcher(store, new OutboxSigners(), config());
    idle.pollMs = 20;
    dispatchers.push(idle);
    idle.start();
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(r.hits).toEqual([]);
  });

  it('runs job messages on an instance that registered the job: retried with backoff, told of the last attempt, never POSTed', async () => {
    const outcomes: OutboxOutcome[] = [{ kind: 'retry', problem: 'not yet' }, { kind: 'retry', problem: 'still not' }];
    const runs: Array<{ attempt: number; lastAttempt: boolean; body: string }> = [];
    const jobs = new OutboxJobs();
    jobs.register('analysis', {
      run: async (delivery, lastAttempt) => {
        runs.push({ attempt: delivery.attempt, lastAttempt, body: delivery.body });
        if (runs.length === 2) throw new Error('a bug in the job');
        return outcomes.shift() ?? { kind: 'delivered' };
      },
    });
    await store.enqueue({ id: 'job-1', type: 'analysis', destination: OUTBOX_JOB_PREFIX + 'analysis', signer: OUTBOX_JOB_SIGNER, body: '{"callSid":"CA1"}' });
    const made = new OutboxDispatcher(store, new OutboxSigners(), config(3), jobs);
    made.pollMs = 20;
    dispatchers.push(made);
    made.start();
    await vi.waitFor(async () => expect(await store.find('job-1')).toMatchObject({ status: 'failed', attempts: 3, lastError: 'still not' }));
    expect(runs).toEqual([
      { attempt: 1, lastAttempt: false, body: '{"callSid":"CA1"}' },
      { attempt: 2, lastAttempt: false, body: '{"callSid":"CA1"}' },
      { attempt: 3, lastAttempt: true, body: '{"callSid":"CA1"}' },
    ]);
    // The thrown error was retried like a failure (its message kept as the attempt's problem).
    await store.enqueue({ id: 'job-2', type: 'analysis', destination: OUTBOX_JOB_PREFIX + 'analysis', signer: OUTBOX_JOB_SIGNER, body: '{}' });
    await vi.waitFor(async () => expect(await store.find('job-2')).toBeUndefined());
  });

  it('leaves a job it does not have to an instance that has it, without counting attempts (analysis being switched on)', async () => {
    await store.enqueue({ id: 'job-3', type: 'other', destination: OUTBOX_JOB_PREFIX + 'other', signer: OUTBOX_JOB_SIGNER, body: '{}' });
    const without = dispatcher(3);
    without.handOffMs = 20;
    const releases = vi.spyOn(store, 'release');
    without.start();
    await new Promise((resolve) => setTimeout(resolve, 400));
    await without.shutdown(); // no claim in flight while the row is read (a claim counts the attempt until it is put back)
    expect(await store.find('job-3')).toMatchObject({ status: 'pending', attempts: 0 });
    // It was claimed and put back again and again, not merely skipped.
    expect(releases.mock.calls.filter(([ids]) => ids.includes('job-3')).length).toBeGreaterThanOrEqual(2);

    const runs: number[] = [];
    const jobs = new OutboxJobs();
    jobs.register('other', { run: async (delivery) => (runs.push(delivery.attempt), { kind: 'delivered' }) });
    const withJob = new OutboxDispatcher(store, new OutboxSigners(), config(3), jobs);
    withJob.pollMs = 20;
    dispatchers.push(withJob);
    withJob.start();
    await vi.waitFor(async () => expect(await store.find('job-3')).toBeUndefined());
    expect(runs).toEqual([1]);
  });

  it('leaves a message it has no signer for to an instance that has it, never giving it up, and says so once (a rolling deploy)', async () => {
    const warnings: string[] = [];
    vi.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => void warnings.push(String(message)));
    const r = await serve([204]);
    await store.enqueue({ id: 'std-1', type: 'call.ended', destination: r.url, signer: STANDARD_WEBHOOK_SIGNER, body: '{"type":"call.ended"}' });
    await store.enqueue({ id: 'std-2', type: 'call.ended', destination: r.url, signer: STANDARD_WEBHOOK_SIGNER, body: '{"type":"call.ended"}' });
    // An old pod: only the legacy signer.
    const old = dispatcher(3);
    old.handOffMs = 20;
    old.start();
    await new Promise((resolve) => setTimeout(resolve, 400));
    await old.shutdown(); // no claim in flight while the rows are read
    expect(r.hits).toEqual([]);
    for (const id of ['std-1', 'std-2']) expect(await store.find(id)).toMatchObject({ status: 'pending', attempts: 0 });
    expect(warnings.filter((line) => line.includes('"standard-webhooks"'))).toHaveLength(1);

    const signers = new OutboxSigners();
    signers.register(STANDARD_WEBHOOK_SIGNER, standardWebhookSigner([Buffer.from(SECRET)]));
    const upgraded = new OutboxDispatcher(store, signers, config(3));
    upgraded.pollMs = 20;
    dispatchers.push(upgraded);
    upgraded.start();
    await vi.waitFor(async () => expect([await store.find('std-1'), await store.find('std-2')]).toEqual([undefined, undefined]), { timeout: 3000 });
    expect(r.hits.map((hit) => hit.headers['webhook-id']).sort()).toEqual(['std-1', 'std-2']);
  });

  it('does not run through a backlog meant for other instances: one claim per poll, the rest stays due for them', async () => {
    for (let i = 0; i < 40; i++) await store.enqueue({ id: `std-backlog-${i}`, type: 'call.ended', destination: 'http://127.0.0.1:1/', signer: STANDARD_WEBHOOK_SIGNER, body: '{}' });
    const old = dispatcher();
    old.pollMs = 60_000;
    const releases = vi.spyOn(store, 'release');
    old.start();
    await vi.waitFor(() => expect(releases).toHaveBeenCalled(), { timeout: 5000 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    // What an upgraded instance finds due right away.
    expect(await store.claimDue(100, 60_000)).toHaveLength(40 - OUTBOX_MAX_IN_FLIGHT);
  });

  it(`makes at most ${OUTBOX_MAX_IN_FLIGHT} attempts at once on a backlog, and drains it as they finish, each message once`, async () => {
    const held: ServerResponse[] = [];
    const received: string[] = [];
    let open = 0;
    let mostOpen = 0;
    let answering = false;
    const server = createServer((req, res) => {
      received.push(String(req.headers[WEBHOOK_DELIVERY_ID_HEADER]));
      open++;
      mostOpen = Math.max(mostOpen, open);
      res.on('finish', () => open--);
      req.resume();
      req.on('end', () => (answering ? res.writeHead(204).end() : held.push(res)));
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const ids: string[] = [];
    for (let i = 0; i < 60; i++) ids.push(await enqueue(url, `backlog-${i}`));

    const made = dispatcher();
    // No idle polls: only finished attempts may claim more.
    made.pollMs = 60_000;
    made.start();
    await vi.waitFor(() => expect(held).toHaveLength(OUTBOX_MAX_IN_FLIGHT));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(mostOpen).toBe(OUTBOX_MAX_IN_FLIGHT);
    expect(received).toHaveLength(OUTBOX_MAX_IN_FLIGHT);

    answering = true;
    for (const res of held.splice(0)) res.writeHead(204).end();
    await vi.waitFor(async () => expect((await Promise.all(ids.map((id) => store.find(id)))).filter(Boolean)).toEqual([]), { timeout: 5000 });
    expect([...received].sort()).toEqual([...ids].sort());
    expect(mostOpen).toBe(OUTBOX_MAX_IN_FLIGHT);
  });
});
