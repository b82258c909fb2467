import { createServer, IncomingHttpHeaders, request as httpRequest, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { FakeTwilioCall, FakeTwilioRestApi, RealtimeSimulator } from '@app/simulators';
import { buildGateway } from '../support/gateway-build';
import { TEST_OPENAI_KEY } from '../support/gateway-harness';
import { freePort, GatewayProcess, startGatewayProcess, waitUntil } from '../support/gateway-process';
import { dropSchema, requirePostgres, TEST_DATABASE_URL, uniqueSchema } from '../support/postgres';
import { deleteKeys, requireRedis, TEST_REDIS_URL, uniqueKeyPrefix } from '../support/redis';
import { metricValue } from '../support/prometheus';
import { RoundRobinProxy } from '../support/round-robin-proxy';

const ACCOUNT_SID = 'AC' + 'fedcba9876543210'.repeat(2);
const AUTH_TOKEN = 'fleet-twilio-auth-token-0123456789';
/** What every replica shares (the Kubernetes Secret's GATEWAY_SIGNING_SECRET): console and stream tokens, call contexts. */
const SIGNING_SECRET = 'fleet-gateway-signing-secret-0123456789';
const API_KEY = 'fleet-api-key-0123456789abcdef';
const WEBHOOK_SECRET = 'fleet-webhook-secret-0123456789';
const REFUSAL = 'All our lines are busy. Please call again.';
const PROFILES = JSON.stringify({
  reminders: { instructions: 'Remind {{name}} of the appointment on {{day}}.', voice: 'verse' },
  campaign: { voicemail: { detection: 'twilio', action: 'hang-up' }, recording: { enabled: true } },
});

interface Delivery {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** A receiver of the call.ended webhook (Standard Webhooks: the record is the envelope's `data`) that answers 204, or 503 while `down`. */
async function startReceiver() {
  const deliveries: Delivery[] = [];
  const state = { down: false };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const status = state.down ? 503 : 204;
      deliveries.push({ status, headers: req.headers, body: Buffer.concat(chunks).toString(), at: Date.now() });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, state, deliveries, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/calls` };
}

/** One HTTP request on a connection of its own (no keep-alive), so a round-robin balancer sends each elsewhere. */
function freshRequest(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: init.method ?? 'GET', headers: init.headers, agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/** A console feed socket that keeps every message, opened as the console page at `pageOrigin` opens it. */
async function openFeed(url: string, pageOrigin: string) {
  const messages: Array<Record<string, any>> = [];
  const socket = new WebSocket(url, { origin: new URL(pageOrigin).origin });
  socket.on('message', (data) => messages.push(JSON.parse(data.toString())));
  const closed = new Promise<number>((resolve) => socket.once('close', resolve));
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const listed = () => new Set(messages.flatMap((m) => (m.type === 'calls' || m.type === 'hello' ? m.calls.map((c: any) => c.callSid) : [])));
  const entries = (callSid: string) => [
    ...messages.filter((m) => m.type === 'entry' && m.callSid === callSid).map((m) => m.entry),
    ...messages.filter((m) => m.type === 'hello').flatMap((m) => m.calls.find((c: any) => c.callSid === callSid)?.entries ?? []),
  ];
  return { socket, messages, closed, listed, entries };
}

/**
 * Two gateway processes (the built app) behind one public URL, on one PostgreSQL (a schema of this
 * run's own) and one Redis (a key prefix of this run's own): what a Kubernetes Deployment with two
 * replicas is. Streams and webhooks are aimed at one instance or the other, as a load balancer may.
 */
describe('two instances behind one URL, on one PostgreSQL and one Redis', () => {
  const schema = uniqueSchema('fleet_e2e');
  const prefix = uniqueKeyPrefix('fleet-e2e');
  let simulator: RealtimeSimulator;
  let twilioApi: FakeTwilioRestApi;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let balancer: RoundRobinProxy;
  let a: GatewayProcess;
  let b: GatewayProcess;
  let publicUrl: string;
  const calls: FakeTwilioCall[] = [];
  const feeds: WebSocket[] = [];

  const sign = (url: string, params: Record<string, string>) => twilio.getExpectedTwilioSignature(AUTH_TOKEN, url, params);
  const webhook = (instance: GatewayProcess, path: string, form: Record<string, string>) =>
    fetch(`${instance.httpUrl}${path}`, { method: 'POST', headers: { 'x-twilio-signature': sign(publicUrl + path, form) }, body: new URLSearchParams(form) });
  /**
   * A call as Twilio makes it: its voice webhook answered by `webhookOn` (which mints the call's
   * stream token), then its media stream landing on `instance`, `start` carrying the TwiML's
   * parameters. `webhookUrl`: the URL Twilio was given (an outbound call's, with its query).
   */
  const stream = (instance: GatewayProcess, callSid?: string, webhookOn: GatewayProcess = instance, webhookUrl = `${publicUrl}/incoming-call`) => {
    const given = new URL(webhookUrl);
    const call = new FakeTwilioCall({
      url: `ws://127.0.0.1:${instance.port}/media-stream`,
      callSid,
      accountSid: ACCOUNT_SID,
      customParameters: { From: '+15550001111', To: '+15550002222' },
      headers: { 'x-twilio-signature': sign(publicUrl.replace(/^http/, 'ws') + '/media-stream', {}) },
      webhook: { url: `${webhookOn.httpUrl}${given.pathname}${given.search}`, signedUrl: webhookUrl, authToken: AUTH_TOKEN },
    });
    calls.push(call);
    return call;
  };
  const api = (instance: GatewayProcess, path: string, init: RequestInit = {}) =>
    fetch(`${instance.httpUrl}${path}`, { ...init, headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', ...init.headers } });
  const consoleToken = async (instance: GatewayProcess) =>
    ((await (await fetch(`${instance.httpUrl}/console/token`, { method: 'POST', headers: { authorization: `Bearer ${API_KEY}` } })).json()) as { token: string }).token;
  const feed = async (instance: GatewayProcess, token: string) => {
    const opened = await openFeed(`ws://127.0.0.1:${instance.port}/console/ws?console_token=${encodeURIComponent(token)}`, publicUrl);
    feeds.push(opened.socket);
    return opened;
  };
  const createsAtTwilio = () => twilioApi.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/Calls.json')).length;

  beforeAll(async () => {
    await Promise.all([requirePostgres(), requireRedis(), buildGateway()]);
    [simulator, twilioApi, receiver] = await Promise.all([
      RealtimeSimulator.start({ apiKey: TEST_OPENAI_KEY, autoRespond: false }),
      FakeTwilioRestApi.start(),
      startReceiver(),
    ]);
    const [portA, portB] = await Promise.all([freePort(), freePort()]);
    balancer = await RoundRobinProxy.start([portA, portB]);
    publicUrl = balancer.url;
    const env = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
      OPENAI_API_KEY: TEST_OPENAI_KEY,
      OPENAI_REALTIME_URL: simulator.url,
      ASSISTANT_GREETING: '',
      ASSISTANT_PROFILES: PROFILES,
      PUBLIC_URL: publicUrl,
      TWILIO_ACCOUNT_SID: ACCOUNT_SID,
      TWILIO_AUTH_TOKEN: AUTH_TOKEN,
      GATEWAY_SIGNING_SECRET: SIGNING_SECRET,
      TWILIO_API_BASE_URL: twilioApi.baseUrl,
      TWILIO_PHONE_NUMBER: '+14155550199',
      API_KEYS: API_KEY,
      CONSOLE_ENABLED: 'true',
      DATABASE_URL: TEST_DATABASE_URL,
      DATABASE_SCHEMA: schema,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      SINGLE_REPLICA: 'false',
      CALL_RECORD_WEBHOOK_URL: receiver.url,
      CALL_RECORD_WEBHOOK_SECRET: WEBHOOK_SECRET,
      CALL_RECORD_RETRY_INITIAL_MS: '300',
      CALL_RECORD_WEBHOOK_MAX_ATTEMPTS: '30',
      MAX_CONCURRENT_CALLS: '2',
      MAX_CONCURRENT_CALLS_HEADROOM: '0',
      CALL_REFUSED_MESSAGE: REFUSAL,
      DRAIN_TIMEOUT_S: '5',
    };
    const redisUp = (body: any) => body?.info?.sharedState?.redis === 'up';
    [a, b] = await Promise.all([startGatewayProcess(portA, env, redisUp), startGatewayProcess(portB, env, redisUp)]);
  }, 180_000);

  afterAll(async () => {
    for (const call of calls) call.drop();
    for (const socket of feeds) socket.terminate();
    await Promise.all([a?.kill(), b?.kill()]);
    await Promise.all([simulator?.close(), twilioApi?.close(), balancer?.close(), new Promise((resolve) => receiver?.server.close(resolve))]);
    await dropSchema(schema).catch(() => undefined);
    await deleteKeys(prefix).catch(() => undefined);
  });

  it("runs the console's own connect sequence through a round-robin balancer, with tokens valid on either instance", async () => {
    for (let attempt = 0; attempt < 4; attempt++) {
      const settings = await freshRequest(`${publicUrl}/console/settings`);
      expect(settings.status).toBe(200);
      const issued = await freshRequest(`${publicUrl}/console/token`, { method: 'POST', headers: { authorization: `Bearer ${API_KEY}` } });
      expect(issued.status).toBe(200);
      const { token } = JSON.parse(issued.body) as { token: string };
      const console = await openFeed(`ws://127.0.0.1:${balancer.port}/console/ws?console_token=${encodeURIComponent(token)}`, publicUrl);
      feeds.push(console.socket);
      await waitUntil(() => console.messages.some((m) => m.type === 'hello'), 5000, 'the console snapshot');
      console.socket.close();
    }
    // Three connections per round, alternating: tokens were issued by one instance and used on the other.
    expect(new Set(balancer.routed)).toEqual(new Set([a.port, b.port]));
    // A page of another site, even with a valid token, opens the feed on neither instance.
    for (const instance of [a, b]) {
      const foreign = new WebSocket(`ws://127.0.0.1:${instance.port}/console/ws?console_token=${encodeURIComponent(await consoleToken(instance))}`, { origin: 'https://evil.example' });
      feeds.push(foreign);
      expect(await new Promise<number>((resolve) => foreign.once('close', resolve))).toBe(1008);
    }
  });

  it("shows both instances' calls on both consoles, also to a console opened later", async () => {
    const onA = await feed(a, await consoleToken(b));
    const onB = await feed(b, await consoleToken(a));
    const callOnA = stream(a);
    const callOnB = stream(b);
    const sessionsBefore = simulator.sessions.length;
    await callOnA.connect();
    await callOnB.connect();
    await simulator.nextSession(sessionsBefore + 1);
    for (const console of [onA, onB]) {
      await waitUntil(() => console.listed().has(callOnA.callSid) && console.listed().has(callOnB.callSid), 5000, 'both calls listed');
      await waitUntil(() => [callOnA, callOnB].every((call) => console.entries(call.callSid).some((e) => e.kind === 'started')), 5000, 'both calls started');
    }
    const later = await feed(b, await consoleToken(b));
    await waitUntil(() => later.messages.some((m) => m.type === 'hello'), 5000, 'the later snapshot');
    const hello = later.messages.find((m) => m.type === 'hello')!;
    const listed = new Map(hello.calls.map((c: any) => [c.callSid, c]));
    expect(listed.get(callOnA.callSid)).toMatchObject({ from: '+15550001111', entries: [expect.objectContaining({ kind: 'started' })] });
    expect(listed.get(callOnB.callSid)).toMatchObject({ from: '+15550001111' });

    callOnA.hangUp();
    callOnB.hangUp();
    await waitUntil(() => onB.entries(callOnA.callSid).some((e) => e.kind === 'ended'), 5000, "the end of A's call on B's console");
  });

  it('reads and reconciles a record from either instance, and delivers its webhook once per record', async () => {
    const call = stream(a);
    const sessionsBefore = simulator.sessions.length;
    await call.connect();
    await simulator.nextSession(sessionsBefore);
    call.hangUp();
    await waitUntil(async () => (await api(b, `/calls/${call.callSid}`)).status === 200, 10_000, "B to serve A's record");
    // Twilio's status callback reaches the other instance.
    const status = { CallSid: call.callSid, CallStatus: 'completed', CallDuration: '7', Timestamp: 'Tue, 01 Dec 2026 10:00:07 +0000', AccountSid: ACCOUNT_SID };
    expect((await webhook(b, '/twilio/call-status', status)).status).toBe(204);
    const reconciled = (await (await api(a, `/calls/${call.callSid}`)).json()) as Record<string, any>;
    expect(reconciled).toMatchObject({ callSid: call.callSid, durationMs: 7000, twilio: { status: 'completed', durationSec: 7 } });
    expect((await api(b, `/calls?number=%2B15550001111&limit=200`).then((r) => r.json()) as { items: Array<{ callSid: string }> }).items.map((i) => i.callSid)).toContain(call.callSid);

    await waitUntil(() => receiver.deliveries.some((d) => JSON.parse(d.body).data.callSid === call.callSid), 10_000, 'the record webhook');
    await new Promise((resolve) => setTimeout(resolve, 1500)); // both instances poll the outbox meanwhile
    expect(receiver.deliveries.filter((d) => JSON.parse(d.body).data.callSid === call.callSid)).toHaveLength(1);
  });

  it('places one call for an Idempotency-Key retried through the other instance', async () => {
    const body = JSON.stringify({ to: '+14155553344', variables: { name: 'Ada' } });
    const before = createsAtTwilio();
    const first = await api(a, '/calls', { method: 'POST', body, headers: { 'idempotency-key': 'order-42' } });
    expect(first.status).toBe(201);
    const placed = (await first.json()) as { callSid: string };
    const retried = await api(b, '/calls', { method: 'POST', body, headers: { 'idempotency-key': 'order-42' } });
    expect(retried.status).toBe(201);
    expect(retried.headers.get('idempotent-replayed')).toBe('true');
    expect(await retried.json()).toEqual(placed);
    expect(createsAtTwilio()).toBe(before + 1);
    // The same key with another body is a client error, not a second call.
    const other = await api(b, '/calls', { method: 'POST', body: JSON.stringify({ to: '+14155553355' }), headers: { 'idempotency-key': 'order-42' } });
    expect(other.status).toBe(422);

    // A retry while the first request is still being placed is told to wait.
    twilioApi.delayResponses(1500);
    try {
      const slow = api(a, '/calls', { method: 'POST', body, headers: { 'idempotency-key': 'order-43' } });
      await twilioApi.waitForRequest((r) => r.path.endsWith('/Calls.json') && twilioApi.requests.filter((q) => q.path.endsWith('/Calls.json')).length === before + 2);
      expect((await api(b, '/calls', { method: 'POST', body, headers: { 'idempotency-key': 'order-43' } })).status).toBe(409);
      expect((await slow).status).toBe(201);
    } finally {
      twilioApi.delayResponses(0);
    }
    expect(createsAtTwilio()).toBe(before + 2);
  });

  it('keeps an outbound call\'s profile and variables when it is placed on one instance and served by the other', async () => {
    const placed = await api(a, '/calls', { method: 'POST', body: JSON.stringify({ to: '+14155550123', profile: 'reminders', variables: { name: 'Ada', day: 'Friday' } }) });
    expect(placed.status).toBe(201);
    const { callSid } = (await placed.json()) as { callSid: string };
    const create = await twilioApi.waitForRequest((r) => r.path.endsWith('/Calls.json') && r.form.To === '+14155550123');
    expect(String(create.form.Url).startsWith(`${publicUrl}/incoming-call?context=c1.`)).toBe(true);

    // Twilio fetches the TwiML through the balancer from B, and the stream lands on B too.
    const call = stream(b, callSid, b, create.form.Url as string);
    const sessionsBefore = simulator.sessions.length;
    await call.connect();
    expect(call.streamParameters['CallContext.1']).toMatch(/^c1\./);
    const session = await simulator.nextSession(sessionsBefore);
    const update = (await session.waitForClientEvent('session.update')).session as Record<string, any>;
    expect(update.instructions).toBe('Remind "Ada" of the appointment on "Friday".');
    expect(update.audio.output.voice).toBe('verse');
    call.hangUp();

    // The record (written by B, read from A) says outbound, with the profile it was placed with.
    await waitUntil(async () => (await api(a, `/calls/${callSid}`)).status === 200, 10_000, "B's record of the call");
    expect(await (await api(a, `/calls/${callSid}`)).json()).toMatchObject({ callSid, direction: 'outbound', assistantProfile: 'reminders' });
  });

  it("takes Twilio's AnsweredBy and recording callbacks, landing on the other instance, to the call and its record", async () => {
    const placed = await api(a, '/calls', { method: 'POST', body: JSON.stringify({ to: '+14155550124', profile: 'campaign' }) });
    expect(placed.status).toBe(201);
    const { callSid } = (await placed.json()) as { callSid: string };
    const create = await twilioApi.waitForRequest((r) => r.path.endsWith('/Calls.json') && r.form.To === '+14155550124');
    expect(create.form).toMatchObject({ AsyncAmd: 'true', AsyncAmdStatusCallback: `${publicUrl}/twilio/amd-status` });

    // The stream lands on B, which starts the recording; Twilio's verdict reaches A, which hands it to B through the fleet bus.
    const call = stream(b, callSid, b, create.form.Url as string);
    await call.connect();
    const started = await twilioApi.waitForRequest((r) => r.path.endsWith(`/Calls/${callSid}/Recordings.json`));
    expect(started.form.RecordingStatusCallback).toBe(`${publicUrl}/twilio/recording-status`);
    expect(await twilioApi.sendAnsweredBy(callSid, 'machine_end_other', { authToken: AUTH_TOKEN, deliverTo: a.httpUrl })).toBe(204);
    await twilioApi.waitForRequest((r) => r.path.endsWith(`/Calls/${callSid}.json`) && r.form.Status === 'completed');
    await call.waitForClose();

    // The recording's callback, after the call, on A: the record (written by B) carries it.
    const recording = twilioApi.recordings.find((r) => r.callSid === callSid)!;
    expect(await twilioApi.sendRecordingStatus(recording.sid, { durationSeconds: 3, authToken: AUTH_TOKEN, deliverTo: a.httpUrl })).toBe(204);
    await waitUntil(async () => ((await (await api(a, `/calls/${callSid}`)).json()) as { recording?: { status?: string } }).recording?.status === 'completed', 10_000, 'the recording on the record');
    expect(await (await api(a, `/calls/${callSid}`)).json()).toMatchObject({
      answeredBy: 'machine_end_other',
      voicemailLeft: false,
      endReason: 'answering-machine',
      recording: { sid: recording.sid, durationSeconds: 3, channels: 2, status: 'completed' },
    });
  });

  it('refuses a stream token replayed to the other instance, while the call lives and after it ended', async () => {
    const call = stream(a);
    const sessionsBefore = simulator.sessions.length;
    await call.connect();
    await simulator.nextSession(sessionsBefore);
    // The captured upgrade and `start` (token included), presented to B.
    const replay = () =>
      new FakeTwilioCall({
        url: `ws://127.0.0.1:${b.port}/media-stream`,
        callSid: call.callSid,
        accountSid: ACCOUNT_SID,
        customParameters: call.streamParameters,
        headers: { 'x-twilio-signature': sign(publicUrl.replace(/^http/, 'ws') + '/media-stream', {}) },
      });
    const during = replay();
    calls.push(during);
    await during.connect();
    expect(await during.waitForClose()).toBe(1008);
    call.hangUp();
    await call.waitForClose();
    const after = replay();
    calls.push(after);
    await after.connect();
    expect(await after.waitForClose()).toBe(1008);
    expect(simulator.sessions).toHaveLength(sessionsBefore + 1);
    const metrics = await (await fetch(`${b.httpUrl}/metrics`)).text();
    expect(metricValue(metrics, 'voice_gateway_media_streams_refused_total', { reason: 'already-used' })).toBe(2);
  });

  it('never drops a caller in silence: a full instance refuses at the webhook, and a stream landing on it is redirected to the refusal', async () => {
    const sessionsBefore = simulator.sessions.length;
    const live = [stream(a), stream(a)];
    for (const call of live) await call.connect();
    await simulator.nextSession(sessionsBefore + 1);
    // A is full: its webhook says the refusal; B, with room, connects the call.
    const refused = await (await webhook(a, '/incoming-call', { CallSid: 'CA' + '1'.repeat(32), AccountSid: ACCOUNT_SID, From: '+15550001111', To: '+15550002222' })).text();
    expect(refused).toContain(`<Say>${REFUSAL}</Say><Hangup/>`);
    const overflowSid = 'CA' + '2'.repeat(32);
    const overflow = stream(a, overflowSid, b);
    expect(await overflow.fetchTwiml()).toContain('<Connect><Stream');
    // The stream lands on full A anyway (with the token B minted): the caller is redirected to the
    // spoken refusal through Twilio.
    await overflow.connect();
    const redirect = await twilioApi.waitForRequest((r) => r.path.endsWith(`/Calls/${overflowSid}.json`));
    expect(redirect.form.Twiml).toContain(`<Say>${REFUSAL}</Say><Hangup/>`);
    expect(simulator.sessions).toHaveLength(sessionsBefore + 2);
    overflow.hangUp(); // what Twilio does once it plays the refusal
    for (const call of live) call.hangUp();
  });

  it('delivers a webhook that was pending when its instance drained, from the other instance', async () => {
    receiver.state.down = true;
    const call = stream(a);
    const sessionsBefore = simulator.sessions.length;
    await call.connect();
    await simulator.nextSession(sessionsBefore);
    call.hangUp();
    await waitUntil(() => receiver.deliveries.some((d) => d.status === 503 && JSON.parse(d.body).data.callSid === call.callSid), 10_000, "A's first attempt");
    const deliveryId = receiver.deliveries.find((d) => JSON.parse(d.body).data.callSid === call.callSid)!.headers['webhook-id'];
    expect(deliveryId).toMatch(/^[0-9a-f-]{36}$/);

    a.child.kill('SIGTERM');
    expect(await a.exited).toEqual({ code: 0, signal: null });
    const exitedAt = Date.now();
    receiver.state.down = false;
    await waitUntil(() => receiver.deliveries.some((d) => d.status === 204 && JSON.parse(d.body).data.callSid === call.callSid), 15_000, 'the delivery by B');
    const delivered = receiver.deliveries.filter((d) => d.status === 204 && JSON.parse(d.body).data.callSid === call.callSid);
    expect(delivered).toHaveLength(1);
    expect(delivered[0].at).toBeGreaterThanOrEqual(exitedAt);
    expect(delivered[0].headers['webhook-id']).toBe(deliveryId);
  });
});
