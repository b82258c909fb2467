import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createServer, IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CallRecord } from '@app/call-records';
import { InvalidEnvironmentError } from '@app/config';
import { FakeTwilioRestApi, SimulatedSession } from '@app/simulators';
import { GatewayHarness, sleep, startGateway } from '../support/gateway-harness';
import { dropSchema, requirePostgres, TEST_DATABASE_URL, uniqueSchema } from '../support/postgres';

const ACCOUNT_SID = 'AC' + '0123456789abcdef'.repeat(2);
const API_KEY = 'gateway-api-key-0123456789abcdef';
/** A Standard Webhooks secret: `whsec_` + base64 of 24 random bytes. */
const SECRET = 'whsec_' + Buffer.from('0123456789abcdefghijklmn').toString('base64');
const CALLER = { From: '+15551110000', To: '+15552220000' };
const FIELDS_SCHEMA = {
  type: 'object',
  properties: { intent: { type: 'string', enum: ['transfer', 'information'] }, followUp: { type: 'boolean' }, topics: { type: 'array', items: { type: 'string' } } },
};

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
  /** Checked as the specification says, independently of the gateway's own code. */
  valid: boolean;
  event: { type: string; timestamp: string; data: Record<string, any> };
  status: number;
}

/**
 * A receiver written from the Standard Webhooks specification alone: the key is the base64 after
 * `whsec_`, the signed content `<webhook-id>.<webhook-timestamp>.<raw body>`, each `v1,<base64>`
 * of the space-separated header a candidate. `statusFor` picks each answer (default 204).
 */
async function specReceiver(statusFor: (event: Received['event'], attempt: number) => number = () => 204) {
  const received: Received[] = [];
  const key = Buffer.from(SECRET.slice('whsec_'.length), 'base64');
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const id = String(req.headers['webhook-id']);
      const timestamp = String(req.headers['webhook-timestamp']);
      const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
      const fresh = Math.abs(Date.now() / 1000 - Number(timestamp)) < 300;
      const valid = fresh && String(req.headers['webhook-signature']).split(' ').includes(`v1,${expected}`);
      const event = JSON.parse(body) as Received['event'];
      const status = statusFor(event, received.filter((r) => r.headers['webhook-id'] === id).length + 1);
      received.push({ headers: req.headers, body, valid, event, status });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/voice`, received };
}

/** examples/webhook-receiver.mjs as a receiver runs it: its own process, printing a JSON line per event it handles. */
async function exampleReceiver(): Promise<{ child: ChildProcessWithoutNullStreams; url: string; lines: Array<Record<string, any>> }> {
  const child = spawn(process.execPath, [join(__dirname, '../../examples/webhook-receiver.mjs')], {
    env: { PATH: process.env.PATH, WEBHOOK_SECRET: SECRET, PORT: '0', HOST: '127.0.0.1' },
  });
  const lines: Array<Record<string, any>> = [];
  let buffered = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    for (let newline = buffered.indexOf('\n'); newline >= 0; newline = buffered.indexOf('\n')) {
      lines.push(JSON.parse(buffered.slice(0, newline)));
      buffered = buffered.slice(newline + 1);
    }
  });
  await vi.waitFor(() => expect(lines[0]?.listening).toBeGreaterThan(0), { timeout: 10000 });
  return { child, url: `http://127.0.0.1:${lines.shift()!.listening}/webhooks`, lines };
}

function api(gateway: GatewayHarness, path: string): Promise<Response> {
  return fetch(`${gateway.httpUrl}${path}`, { headers: { authorization: `Bearer ${API_KEY}` } });
}

async function toolOutput(session: SimulatedSession, callId: string): Promise<Record<string, any>> {
  const event = await session.waitForClientEvent('conversation.item.create', (e) => e.item?.call_id === callId);
  return JSON.parse(event.item.output);
}

/** The simulated model answers a tool's result in a short sentence; last words before a transfer are another. */
const model = {
  autoRespond: false,
  reply: ({ toolOutputs }: { toolOutputs?: string[] }) => (toolOutputs ? 'It is noon.' : 'One moment, please.'),
};

describe('lifecycle webhooks (Standard Webhooks) and the post-call analysis', () => {
  let gateway: GatewayHarness | undefined;
  let twilioApi: FakeTwilioRestApi | undefined;
  const servers: Server[] = [];
  const children: ChildProcessWithoutNullStreams[] = [];
  const schema = uniqueSchema('webhooks_e2e');

  beforeAll(async () => {
    await requirePostgres();
  });
  afterAll(async () => {
    await dropSchema(schema);
  });

  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
    await twilioApi?.close();
    twilioApi = undefined;
    for (const server of servers.splice(0)) server.close();
    for (const child of children.splice(0)) child.kill();
  });

  it('sends call.started, tool.called, call.transferred, call.ended and call.analyzed, signed; a 500 is retried with the same webhook-id; the analysis lands on the record with its cost (PostgreSQL)', async () => {
    // The receiver fails the first attempt of call.ended.
    const receiver = await specReceiver((event, attempt) => (event.type === 'call.ended' && attempt === 1 ? 500 : 204));
    servers.push(receiver.server);
    twilioApi = await FakeTwilioRestApi.start();
    gateway = await startGateway(
      {
        ASSISTANT_GREETING: '',
        API_KEYS: API_KEY,
        DATABASE_URL: TEST_DATABASE_URL,
        DATABASE_SCHEMA: schema,
        TWILIO_ACCOUNT_SID: ACCOUNT_SID,
        TWILIO_API_BASE_URL: twilioApi.baseUrl,
        TRANSFER_PHONE_NUMBER: '+15557654321',
        CALL_RECORD_WEBHOOK_URL: receiver.url,
        CALL_RECORD_WEBHOOK_SECRET: SECRET,
        CALL_RECORD_RETRY_INITIAL_MS: '50',
        WEBHOOK_EVENTS: '*',
        POST_CALL_ANALYSIS: 'on',
        ASSISTANT_PROFILES: JSON.stringify({
          support: { numbers: [CALLER.To], analysis: { instructions: 'Success: the caller reached the person they asked for.', schema: FIELDS_SCHEMA } },
        }),
      },
      model,
    );
    // OpenAI fails the first analysis request: the job is retried.
    gateway.simulator.failResponses(500);
    const call = gateway.newCall({ customParameters: CALLER });
    await call.connect();
    const session = await gateway.simulator.nextSession();
    await session.waitForClientEvent('session.update');

    const time = session.callFunction('get_current_time', {});
    expect((await toolOutput(session, time.callId)).now).toBeDefined();
    await call.waitUntil(() => call.receivedAudio().length > 0, 5000, 'the answer');
    await call.waitForPlaybackEnd(5000);
    const transfer = session.callFunction('transfer_call', { reason: 'wants a person' });
    expect((await toolOutput(session, transfer.callId)).ok).toBe(true);
    await call.waitForClose(10000);
    const callSid = call.callSid;

    await vi.waitFor(() => expect(receiver.received.some((r) => r.event.type === 'call.analyzed')).toBe(true), { timeout: 15000 });
    await sleep(100);
    expect(receiver.received.every((r) => r.valid)).toBe(true);
    const delivered = receiver.received.filter((r) => r.status === 204);
    const types = delivered.map((r) => r.event.type);
    expect(types.filter((type) => type === 'tool.called')).toHaveLength(2);
    expect([...new Set(types)].sort()).toEqual(['call.analyzed', 'call.ended', 'call.started', 'call.transferred', 'tool.called']);
    // Each delivered once (the receiver dedupes on webhook-id; here every id is new).
    expect(new Set(delivered.map((r) => r.headers['webhook-id'])).size).toBe(delivered.length);
    const of = (type: string) => delivered.find((r) => r.event.type === type)!;
    for (const r of receiver.received) {
      expect(r.headers['content-type']).toBe('application/json');
      expect(Object.keys(r.event)).toEqual(['type', 'timestamp', 'data']);
      expect(r.event.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(r.headers['webhook-timestamp']).toMatch(/^\d{10}$/);
    }

    expect(of('call.started').event.data).toEqual({
      callSid,
      streamSid: call.streamSid,
      direction: 'inbound',
      from: CALLER.From,
      to: CALLER.To,
      assistantProfile: 'support',
      model: 'gpt-realtime-2.1',
      startedAt: expect.any(String),
    });
    expect(delivered.filter((r) => r.event.type === 'tool.called').map((r) => r.event.data)).toEqual([
      { callSid, name: 'get_current_time', arguments: {}, result: expect.objectContaining({ now: expect.any(String) }), startedAt: expect.any(String), durationMs: expect.any(Number) },
      expect.objectContaining({ callSid, name: 'transfer_call', arguments: { reason: 'wants a person' } }),
    ]);
    // By the destination's name, never its number.
    expect(of('call.transferred').event.data).toEqual({ callSid, mode: 'blind', destination: 'default', outcome: 'connected' });
    expect(of('call.transferred').body).not.toContain('+15557654321');

    // call.ended: the record; its first attempt got a 500, the retry carries the same webhook-id, signed anew.
    const ended = receiver.received.filter((r) => r.event.type === 'call.ended');
    expect(ended.map((r) => r.status)).toEqual([500, 204]);
    expect(ended[1].headers['webhook-id']).toBe(ended[0].headers['webhook-id']);
    expect(ended[1].body).toBe(ended[0].body);
    expect(ended[1].event.data).toMatchObject({ callSid, status: 'completed', endReason: 'transferred', assistantProfile: 'support' });
    expect(ended[1].event.data.analysis).toBeUndefined();

    // The analysis: the transcript went to the Responses API with a strict schema (the first request failed, the retry answered).
    expect(gateway.simulator.responseRequests.map((r) => r.status)).toEqual([500, 200]);
    const request = gateway.simulator.responseRequests[1];
    expect(request.headers.authorization).toMatch(/^Bearer sk-/);
    expect(request.body).toMatchObject({ model: 'gpt-5.4-mini', store: false, text: { format: { type: 'json_schema', strict: true } } });
    expect(request.body.instructions).toContain('Success: the caller reached the person they asked for.');
    expect(request.body.input).toContain('Assistant: It is noon.');
    expect(request.body.text.format.schema.properties.fields).toMatchObject({ required: ['intent', 'followUp', 'topics'], additionalProperties: false });
    // The analysis model was part of the start-up model check.
    expect(gateway.simulator.modelLookups.filter((l) => l.model === 'gpt-5.4-mini').map((l) => l.status)).toEqual([200]);

    const analyzed = of('call.analyzed').event.data;
    expect(analyzed).toEqual({
      callSid,
      analysis: {
        model: 'gpt-5.4-mini',
        summary: expect.stringMatching(/^Simulated summary: Assistant: (It is noon|One moment)/),
        success: true,
        fields: { intent: 'transfer', followUp: true, topics: [] },
        completedAt: expect.any(String),
      },
    });
    // On the record, with its tokens and cost (counted in the total).
    const record = (await (await api(gateway, `/calls/${callSid}`)).json()) as CallRecord;
    expect(record.analysis).toEqual(analyzed.analysis);
    expect(record.usage.analysis).toEqual({ inputTokens: expect.any(Number), cachedInputTokens: 0, outputTokens: expect.any(Number) });
    const { inputTokens, outputTokens } = record.usage.analysis!;
    const analysisCost = Math.round(((inputTokens * 0.75 + outputTokens * 4.5) / 1_000_000) * 1_000_000) / 1_000_000;
    expect(record.cost.breakdown.analysis).toBe(analysisCost);
    expect(analysisCost).toBeGreaterThan(0);
    const others = ended[1].event.data.cost.total as number;
    expect(record.cost.total).toBeCloseTo(others + analysisCost, 6);
  });

  it('sends only the selected events, which the example receiver verifies and deduplicates; forged or stale deliveries are refused', async () => {
    const receiver = await exampleReceiver();
    children.push(receiver.child);
    gateway = await startGateway(
      { ASSISTANT_GREETING: '', API_KEYS: API_KEY, CALL_RECORD_WEBHOOK_URL: receiver.url, CALL_RECORD_WEBHOOK_SECRET: SECRET, WEBHOOK_EVENTS: 'call.started,call.ended' },
      model,
    );
    const call = gateway.newCall({ customParameters: CALLER });
    await call.connect();
    const session = await gateway.simulator.nextSession();
    await session.waitForClientEvent('session.update');
    await toolOutput(session, session.callFunction('get_current_time', {}).callId);
    await call.waitUntil(() => call.receivedAudio().length > 0, 5000, 'the answer');
    await call.waitForPlaybackEnd(5000);
    call.hangUp();
    await vi.waitFor(() => expect(receiver.lines.map((line) => line.received)).toEqual(['call.started', 'call.ended']), { timeout: 10000 });
    expect(receiver.lines.every((line) => line.callSid === call.callSid)).toBe(true);

    // A delivery made again (same webhook-id) is acknowledged, not handled twice; a forged or stale one is refused.
    const body = JSON.stringify({ type: 'call.ended', timestamp: new Date().toISOString(), data: { callSid: 'CAreplayed' } });
    const post = (id: string, timestamp: number, key: Buffer) =>
      fetch(receiver.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': 'v1,' + createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64'),
        },
        body,
      });
    const key = Buffer.from(SECRET.slice('whsec_'.length), 'base64');
    const now = Math.floor(Date.now() / 1000);
    expect((await post('msg_1', now, key)).status).toBe(204);
    expect((await post('msg_1', now, key)).status).toBe(204);
    expect((await post('msg_2', now, Buffer.from('another-secret-0123456789'))).status).toBe(401);
    expect((await post('msg_3', now - 600, key)).status).toBe(401);
    await sleep(100);
    expect(receiver.lines.map((line) => line.id)).toEqual([expect.any(String), expect.any(String), 'msg_1']);
  });

  it('records why an analysis could not be made once the attempts are used up, and skips profiles that turn it off (SQLite)', async () => {
    const receiver = await specReceiver();
    servers.push(receiver.server);
    gateway = await startGateway(
      {
        ASSISTANT_GREETING: '',
        API_KEYS: API_KEY,
        CALL_RECORD_WEBHOOK_URL: receiver.url,
        CALL_RECORD_WEBHOOK_SECRET: SECRET,
        CALL_RECORD_RETRY_INITIAL_MS: '20',
        CALL_RECORD_WEBHOOK_MAX_ATTEMPTS: '2',
        WEBHOOK_EVENTS: 'call.analyzed',
        POST_CALL_ANALYSIS: 'on',
        ASSISTANT_PROFILES: JSON.stringify({ quiet: { numbers: ['+15553330000'], analysis: { enabled: false } } }),
      },
      model,
    );
    gateway.simulator.failResponses(503, 503);
    const talk = async (customParameters: Record<string, string>) => {
      const call = gateway!.newCall({ customParameters });
      await call.connect();
      const session = await gateway!.simulator.nextSession(gateway!.simulator.sessions.length);
      await session.waitForClientEvent('session.update');
      await toolOutput(session, session.callFunction('get_current_time', {}).callId);
      await call.waitUntil(() => call.receivedAudio().length > 0, 5000, 'the answer');
      await call.waitForPlaybackEnd(5000);
      call.hangUp();
      return call.callSid;
    };
    const quiet = await talk({ From: CALLER.From, To: '+15553330000' });
    const failing = await talk(CALLER);
    await vi.waitFor(() => expect(receiver.received).toHaveLength(1), { timeout: 10000 });
    expect(receiver.received[0].valid).toBe(true);
    expect(receiver.received[0].event.data).toEqual({
      callSid: failing,
      analysis: { model: 'gpt-5.4-mini', summary: '', success: null, completedAt: expect.any(String), error: 'the Responses API answered HTTP 503 (The server had an error while processing your request. Sorry about that!)' },
    });
    const record = (await (await api(gateway, `/calls/${failing}`)).json()) as CallRecord;
    expect(record.analysis?.error).toMatch(/^the Responses API answered HTTP 503/);
    expect(record.cost.breakdown.analysis).toBeUndefined();
    // The profile that turned it off: no request, no analysis.
    expect(gateway.simulator.responseRequests.map((r) => r.status)).toEqual([503, 503]);
    expect(((await (await api(gateway, `/calls/${quiet}`)).json()) as CallRecord).analysis).toBeUndefined();
  });

  it("the example receiver's verifyWebhook accepts the specification's test vector and refuses what was changed", async () => {
    const example = await import('../../examples/webhook-receiver.mjs' as string);
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const headers = { 'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek', 'webhook-timestamp': '1614265330', 'webhook-signature': 'v1,bm9wZQ== v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=' };
    const now = 1614265330 * 1000;
    expect(example.verifyWebhook(secret, headers, '{"test": 2432232314}', { now })).toEqual({ id: 'msg_p5jXN8AQM9LWM0D4loKWxJek', event: { test: 2432232314 } });
    expect(() => example.verifyWebhook(secret, headers, '{"test": 2432232315}', { now })).toThrow('no valid signature');
    expect(() => example.verifyWebhook(secret, { ...headers, 'webhook-id': 'msg_other' }, '{"test": 2432232314}', { now })).toThrow('no valid signature');
    expect(() => example.verifyWebhook(secret, headers, '{"test": 2432232314}', { now: now + 301_000 })).toThrow('too far from now');
    expect(() => example.verifyWebhook(secret, { 'webhook-id': 'x' }, '{}', { now })).toThrow(/missing/);
  });

  it('refuses to start with an unknown event name, naming the known ones', async () => {
    await expect(startGateway({ CALL_RECORD_WEBHOOK_URL: 'http://127.0.0.1:9/x', CALL_RECORD_WEBHOOK_SECRET: SECRET, WEBHOOK_EVENTS: 'call.ended,call.answered' })).rejects.toThrow(
      InvalidEnvironmentError,
    );
    await expect(startGateway({ WEBHOOK_EVENTS: 'call.answered' })).rejects.toThrow(/WEBHOOK_EVENTS: unknown event "call\.answered" \(known: call\.started, tool\.called/);
  });
});
