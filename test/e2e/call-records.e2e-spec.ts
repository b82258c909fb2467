import { createServer, IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import twilio from 'twilio';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CallRecord } from '@app/call-records';
import { CallRecordWriter, signWebhook, WEBHOOK_DELIVERY_ID_HEADER, WEBHOOK_SIGNATURE_HEADER, WEBHOOK_TIMESTAMP_HEADER } from '@app/call-records';
import { CallEvents, LiveCalls } from '@app/orchestration';
import { mulawSilence, mulawTone } from '@app/simulators';
import { GatewayHarness, sleep, startGateway } from '../support/gateway-harness';
import { dropSchema, requirePostgres, TEST_DATABASE_URL, uniqueSchema } from '../support/postgres';
import { TcpProxy } from '../support/tcp-proxy';
import { completedRecord } from '../support/call-records-api';

const API_KEY = 'test-api-key-0123456789abcdef';
const WEBHOOK_SECRET = 'whsec-0123456789abcdef';
const AUTH_TOKEN = 'twilio-auth-token-0123456789abcdef';
const PUBLIC_URL = 'https://voice.example.com';
const GREETING_TEXT = 'Hello! This is the simulated assistant. How can I help you today?';

interface WebhookDelivery {
  headers: IncomingMessage['headers'];
  body: string;
}

/** A webhook receiver that fails its first `failFirst` deliveries with 503. */
async function startWebhookReceiver(failFirst: number): Promise<{ server: Server; url: string; deliveries: WebhookDelivery[]; attempts: () => number }> {
  const deliveries: WebhookDelivery[] = [];
  let attempts = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      attempts++;
      if (attempts <= failFirst) {
        res.writeHead(503).end();
        return;
      }
      deliveries.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/calls`, deliveries, attempts: () => attempts };
}

function api(gateway: GatewayHarness, path: string, key: string | undefined = API_KEY): Promise<Response> {
  return fetch(`${gateway.httpUrl}${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
}

/** Greeting (2.6 s of audio, sent 10× faster than real time); the caller talks over it after ~400 ms. */
async function callWithBargeIn(gateway: GatewayHarness, callSid: string) {
  const call = gateway.newCall({ callSid, customParameters: { From: '+15551230000', To: '+15559870000', CallSid: callSid } });
  await call.connect();
  await call.waitUntil(() => call.isPlaying, 5000, 'the greeting');
  await sleep(400);
  const clears = call.clearCount;
  await call.say(Buffer.concat([mulawTone(500, 500), mulawSilence(700)]));
  await call.waitUntil(() => call.clearCount > clears, 3000, 'the barge-in clear');
  return call;
}

describe('call records with PostgreSQL', () => {
  const schema = uniqueSchema('call_records_e2e');
  let gateway: GatewayHarness | undefined;
  let proxy: TcpProxy | undefined;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>> | undefined;

  beforeAll(async () => {
    await requirePostgres();
  });
  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
    await proxy?.close();
    proxy = undefined;
    receiver?.server.close();
    receiver = undefined;
  });
  afterAll(async () => {
    await dropSchema(schema);
  });

  it('records a call with a barge-in and a tool call, serves it over the API and posts it, signed with the legacy scheme, to the webhook', async () => {
    receiver = await startWebhookReceiver(1);
    gateway = await startGateway(
      {
        ASSISTANT_GREETING: 'Greet.',
        API_KEYS: API_KEY,
        DATABASE_URL: TEST_DATABASE_URL,
        DATABASE_SCHEMA: schema,
        CALL_RECORD_WEBHOOK_URL: receiver.url,
        CALL_RECORD_WEBHOOK_SECRET: WEBHOOK_SECRET,
        // Receivers of the original record webhook keep it, unchanged, with this (docs/webhooks.md#migrating-from-the-legacy-scheme).
        WEBHOOK_SIGNATURE_SCHEME: 'legacy',
        CALL_RECORD_RETRY_INITIAL_MS: '50',
        TWILIO_AUTH_TOKEN: AUTH_TOKEN,
        PUBLIC_URL,
      },
      { speak: () => mulawTone(2600, 300) },
    );
    const callSid = 'CA' + 'e2e1'.padEnd(32, '0');
    const call = await callWithBargeIn(gateway, callSid);

    // The assistant uses a tool (emitted the way the tool-calling code reports it).
    const live = gateway.app.get(LiveCalls).observed().find((c) => c.callSid === callSid)!;
    gateway.app.get(CallEvents).emit('toolCalled', live, {
      name: 'get_opening_hours',
      arguments: '{"day":"monday"}',
      result: { opens: '09:00', closes: '17:00' },
      startedAt: Date.now() - 42,
      durationMs: 42,
    });
    // The caller's turn is answered; let the answer arrive, then hang up.
    await call.waitForAudio(2 * 8 * 2600, 8000);
    await call.waitForPlaybackEnd(10000);
    call.hangUp();

    const record = await completedRecord(gateway, callSid, API_KEY);
    expect(record).toMatchObject({
      callSid,
      streamSid: call.streamSid,
      direction: 'inbound',
      from: '+15551230000',
      to: '+15559870000',
      assistantProfile: 'default',
      endReason: 'caller-hung-up',
    });
    if (process.env.SHOW_RECORD) console.log(JSON.stringify(record, null, 2));
    expect(record.transcript).toHaveLength(3);
    const [greeting, callerTurn, answer] = record.transcript;
    expect(greeting.role).toBe('assistant');
    expect(greeting.interrupted?.fullText).toBe(GREETING_TEXT);
    expect(greeting.interrupted!.heardMs).toBeGreaterThan(300);
    expect(greeting.interrupted!.heardMs).toBeLessThan(greeting.interrupted!.sentMs);
    expect(greeting.text.length).toBeGreaterThan(0);
    expect(greeting.text.length).toBeLessThan(GREETING_TEXT.length);
    expect(GREETING_TEXT.startsWith(greeting.text)).toBe(true);
    expect(callerTurn).toMatchObject({ role: 'caller', text: expect.stringContaining('simulated caller turn') });
    expect(answer).toMatchObject({ role: 'assistant', text: expect.stringMatching(/^This is simulated reply number \d\.$/) });
    expect(answer.interrupted).toBeUndefined();
    expect(record.toolCalls).toEqual([
      { name: 'get_opening_hours', arguments: { day: 'monday' }, result: { opens: '09:00', closes: '17:00' }, startedAt: expect.any(String), durationMs: 42 },
    ]);
    expect(record.usage.responses).toBeGreaterThanOrEqual(2);
    expect(record.usage.totalTokens).toBeGreaterThan(0);
    expect(record.usage.outputAudioTokens).toBeGreaterThan(0);
    expect(record.cost.total).toBeGreaterThan(0);
    expect(Date.parse(record.endedAt!) - Date.parse(record.startedAt)).toBe(record.durationMs);

    // The list finds it by number and end reason, without the transcript; the API needs the key.
    const list = (await (await api(gateway, '/calls?number=%2B15559870000&endReason=caller-hung-up&limit=5')).json()) as Record<string, unknown>;
    expect(list).toMatchObject({ total: 1, limit: 5, offset: 0, items: [{ callSid, turns: record.transcript.length, toolCallCount: 1 }] });
    expect((await api(gateway, '/calls', '')).status).toBe(401);
    expect((await api(gateway, `/calls/${callSid}`, 'wrong-key-0123456789abc')).status).toBe(401);
    expect((await api(gateway, '/calls/CAnothing')).status).toBe(404);
    expect((await api(gateway, '/calls?limit=5000')).status).toBe(400);

    // The webhook got the record (through the durable outbox) after one 503, with a signature the
    // receiver can check and a delivery id to deduplicate on.
    await vi.waitFor(() => expect(receiver!.deliveries).toHaveLength(1), { timeout: 5000 });
    expect(receiver.attempts()).toBe(2);
    const delivery = receiver.deliveries[0];
    const timestamp = delivery.headers[WEBHOOK_TIMESTAMP_HEADER] as string;
    expect(delivery.headers[WEBHOOK_SIGNATURE_HEADER]).toBe(signWebhook(WEBHOOK_SECRET, timestamp, delivery.body));
    expect(JSON.parse(delivery.body)).toMatchObject({ callSid, transcript: record.transcript, toolCalls: record.toolCalls, usage: record.usage });
    expect(delivery.headers[WEBHOOK_DELIVERY_ID_HEADER]).toMatch(/^[0-9a-f-]{36}$/);
    // Exactly the original webhook: the bare record, none of the Standard Webhooks headers.
    expect(JSON.parse(delivery.body).type).toBeUndefined();
    expect(Object.keys(delivery.headers).filter((name) => name.startsWith('webhook-'))).toEqual([]);

    // Twilio's signed status callback reconciles the end time and duration; an unsigned one is refused.
    const params = { CallSid: callSid, CallStatus: 'completed', CallDuration: '7', Timestamp: 'Tue, 24 Nov 2026 10:00:07 +0000', AccountSid: 'AC1' };
    const url = `${PUBLIC_URL}/twilio/call-status`;
    const unsigned = await fetch(`${gateway.httpUrl}/twilio/call-status`, { method: 'POST', body: new URLSearchParams(params) });
    expect(unsigned.status).toBe(403);
    const signed = await fetch(`${gateway.httpUrl}/twilio/call-status`, {
      method: 'POST',
      headers: { 'x-twilio-signature': twilio.getExpectedTwilioSignature(AUTH_TOKEN, url, params) },
      body: new URLSearchParams(params),
    });
    expect(signed.status).toBe(204);
    const reconciled = (await (await api(gateway, `/calls/${callSid}`)).json()) as CallRecord;
    expect(reconciled).toMatchObject({ endedAt: '2026-11-24T10:00:07.000Z', durationMs: 7000, twilio: { status: 'completed', durationSec: 7 } });
    expect(reconciled.transcript).toEqual(record.transcript);
  });

  it('keeps the call going while the database is away, and the record lands once it is back', async () => {
    proxy = await TcpProxy.start(Number(new URL(TEST_DATABASE_URL).port || 5432));
    const proxiedUrl = TEST_DATABASE_URL.replace(/@[^/]+\//, `@127.0.0.1:${proxy.port}/`);
    gateway = await startGateway(
      {
        ASSISTANT_GREETING: 'Greet.',
        API_KEYS: API_KEY,
        DATABASE_URL: proxiedUrl,
        DATABASE_SCHEMA: schema,
        CALL_RECORD_CHECKPOINT_MS: '100',
        CALL_RECORD_RETRY_INITIAL_MS: '50',
      },
      { speak: () => mulawTone(600, 300) },
    );
    const callSid = 'CA' + 'e2e2'.padEnd(32, '0');
    const call = gateway.newCall({ callSid, customParameters: { From: '+15551112222', To: '+15553334444' } });
    await call.connect();
    await call.waitForAudio(8 * 600, 5000);
    // A checkpoint of the live call reaches the database first.
    await vi.waitFor(async () => expect((await api(gateway!, '/calls?status=in-progress')).status).toBe(200), { timeout: 5000 });
    await vi.waitFor(async () => expect(((await (await api(gateway!, `/calls/${callSid}`)).json()) as CallRecord).status).toBe('in-progress'), { timeout: 5000 });

    proxy.down();
    // The API says so honestly while the database is away.
    await vi.waitFor(async () => expect((await api(gateway!, `/calls/${callSid}`)).status).toBe(503), { timeout: 15000 });
    // The call is undisturbed: the caller speaks and is answered, audio intact, no clear, still open.
    const received = call.receivedAudio().length;
    await call.waitForPlaybackEnd(5000);
    await call.say(Buffer.concat([mulawTone(500, 500), mulawSilence(700)]));
    await call.waitForAudio(received + 8 * 600, 5000);
    expect(call.clearCount).toBe(0);
    expect(call.isOpen).toBe(true);
    const writer = gateway.app.get(CallRecordWriter);
    call.hangUp();
    await call.waitForClose();
    // The finished record waits in memory for the database.
    await vi.waitFor(() => expect(writer.backlog).toBe(1), { timeout: 5000 });

    proxy.up();
    const record = await completedRecord(gateway, callSid, API_KEY, 15000);
    expect(writer.backlog).toBe(0);
    expect(record.transcript.map((turn) => turn.role)).toEqual(['assistant', 'caller', 'assistant']);
    expect(record.endReason).toBe('caller-hung-up');
  });
});

describe('call records without DATABASE_URL (embedded SQLite)', () => {
  let gateway: GatewayHarness | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'gateway-data-'));
  afterAll(async () => {
    await gateway?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('stores records in a file under DATA_DIR with nothing else installed, and describes the API in OpenAPI', async () => {
    gateway = await startGateway(
      { ASSISTANT_GREETING: 'Greet.', API_KEYS: API_KEY, DATABASE_URL: undefined, DATA_DIR: dataDir, ASSISTANT_PROFILES: JSON.stringify({ support: { numbers: ['+15550002222'] } }) },
      { speak: () => mulawTone(300, 300) },
    );
    const callSid = 'CA' + 'e2e3'.padEnd(32, '0');
    const call = gateway.newCall({ callSid, customParameters: { From: '+15550001111', To: '+15550002222' } });
    await call.connect();
    await call.waitForAudio(8 * 300, 5000);
    await call.waitForPlaybackEnd(5000);
    call.hangUp();
    const record = await completedRecord(gateway, callSid, API_KEY);
    expect(record).toMatchObject({ assistantProfile: 'support', from: '+15550001111', transcript: [{ role: 'assistant', text: GREETING_TEXT }] });
    expect(existsSync(join(dataDir, 'call-records.sqlite'))).toBe(true);

    const openapi = (await (await fetch(`${gateway.httpUrl}/docs/openapi.json`)).json()) as { paths: Record<string, any> };
    expect(Object.keys(openapi.paths)).toEqual(expect.arrayContaining(['/calls', '/calls/{callSid}']));
    expect(openapi.paths['/calls'].get.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['startedAfter', 'startedBefore', 'number', 'endReason', 'limit', 'offset']),
    );
    expect(openapi.paths['/calls'].get.security).toEqual([{ bearer: [] }]);
    expect(openapi.paths['/twilio/call-status']).toBeUndefined();
  });

  it('writes the record of a call that was live at shutdown before the process exits, readable after a restart', async () => {
    const shared = mkdtempSync(join(tmpdir(), 'gateway-restart-'));
    try {
      const first = await startGateway({ ASSISTANT_GREETING: 'Greet.', API_KEYS: API_KEY, DATA_DIR: shared }, { speak: () => mulawTone(300, 300) });
      const callSid = 'CA' + 'e2e4'.padEnd(32, '0');
      const call = first.newCall({ callSid });
      await call.connect();
      await call.waitForAudio(8 * 300, 5000);
      await call.waitForPlaybackEnd(5000);
      await first.app.close(); // the process shuts down with the call still on (the harness would drop it first)
      await call.waitForClose();
      await first.close();

      const second = await startGateway({ API_KEYS: API_KEY, DATA_DIR: shared });
      try {
        const record = await completedRecord(second, callSid, API_KEY);
        // Nest's WebSocket adapter terminates the media streams during close, before the orchestrator's own
        // shutdown hook, so the call ends as stream-closed; either reason means the record was finished.
        expect(['server-shutdown', 'stream-closed']).toContain(record.endReason);
        expect(record.transcript.map((turn) => turn.role)).toEqual(['assistant']);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(shared, { recursive: true, force: true });
    }
  });
});
