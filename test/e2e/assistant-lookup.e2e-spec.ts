import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { GatewayMetrics } from '@app/operations';
import { verifyStandardWebhook, webhookSigningKey } from '@app/auth';
import { GatewayHarness, startGateway, TEST_API_KEY } from '../support/gateway-harness';
import { metricValue } from '../support/prometheus';
import { completedRecord } from '../support/call-records-api';

const SECRET = 'whsec_' + Buffer.from('assistant-lookup-test-secret-0123456789').toString('base64');
const PROFILES = JSON.stringify({ support: { instructions: 'You are the support desk. Ticket {{ticket}}.', greeting: 'Say: support desk.' } });
const DIRECTORY = {
  '+15551230001': {
    instructions: 'You are the concierge for {{name}} ({{tier}} tier).',
    variables: { name: 'Ada Lovelace', tier: 'gold' },
    tools: ['get_current_time', 'no_such_tool'],
    greeting: 'Greet {{name}} by name.',
  },
  '+15551230002': { profile: 'support', variables: { ticket: 'T-1042' } },
};

/** The example backend (examples/assistant-lookup-backend.mjs) as a child process on a loopback port. */
async function startExampleBackend(directoryFile: string): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, [join(__dirname, '../../examples/assistant-lookup-backend.mjs')], {
    env: { PATH: process.env.PATH, ASSISTANT_LOOKUP_SECRET: SECRET, PORT: '0', ASSISTANT_LOOKUP_DIRECTORY: directoryFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = await vi.waitFor(
    () => {
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (!match) throw new Error(`the example backend has not started: ${output}`);
      return match[1];
    },
    { timeout: 5000, interval: 20 },
  );
  return { child, url, output: () => output };
}

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A backend that misbehaves by caller: slow (2 s), 500, invalid JSON, a redirect; anyone else gets 204. */
async function startMisbehavingBackend(): Promise<{ server: Server; url: string; received: Received[]; cancelledAt: number[] }> {
  const received: Received[] = [];
  const cancelledAt: number[] = [];
  const server = createServer((req, res) => {
    res.on('close', () => {
      if (!res.writableFinished) cancelledAt.push(performance.now());
    });
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ headers: req.headers, body });
      const from = (JSON.parse(body) as { from?: string }).from;
      if (from === '+15550000001') setTimeout(() => !res.destroyed && res.writeHead(200, { 'content-type': 'application/json' }).end('{"profile":"support"}'), 2000).unref();
      else if (from === '+15550000002') res.writeHead(500).end('boom');
      else if (from === '+15550000003') res.writeHead(200, { 'content-type': 'application/json' }).end('{"profile": "support"');
      else if (from === '+15550000004') res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' }).end();
      else if (from === '+15550000005') res.writeHead(200, { 'content-type': 'application/json' }).end('{"profile":"no-such-profile"}');
      else res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/lookup`, received, cancelledAt };
}

/** Places a call from `from`; returns it with its session's first session.update and how long after the connect it came. */
async function callFrom(gateway: GatewayHarness, from: string, callSid = 'CA' + from.slice(1).padEnd(32, '0')) {
  const call = gateway.newCall({ callSid, customParameters: { From: from, To: '+15559870000' } });
  const connectedAt = performance.now();
  await call.connect();
  const session = await gateway.simulator.nextSession(gateway.simulator.sessions.length);
  const update = await session.waitForClientEvent('session.update');
  return { call, session, update, afterMs: performance.now() - connectedAt };
}

const toolNames = (update: Record<string, any>) => ((update.session.tools ?? []) as Array<{ name: string }>).map((tool) => tool.name);

describe('assistant lookup at call start', () => {
  let gateway: GatewayHarness | undefined;
  let backend: Awaited<ReturnType<typeof startExampleBackend>> | undefined;
  let misbehaving: Awaited<ReturnType<typeof startMisbehavingBackend>> | undefined;
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'assistant-lookup-'));
  });
  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
    backend?.child.kill();
    backend = undefined;
    misbehaving?.server.close();
    misbehaving = undefined;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lets the example backend choose instructions, variables, tools, greeting and profile; it checks the signature', async () => {
    const directoryFile = join(dir, 'directory.json');
    writeFileSync(directoryFile, JSON.stringify(DIRECTORY));
    backend = await startExampleBackend(directoryFile);
    gateway = await startGateway({ ASSISTANT_PROFILES: PROFILES, ASSISTANT_GREETING: 'Say hello.', ASSISTANT_LOOKUP_URL: backend.url, ASSISTANT_LOOKUP_SECRET: SECRET });

    // Not in the directory: 204, the static profile.
    const plain = await callFrom(gateway, '+15557770000');
    const staticTools = toolNames(plain.update);
    expect(plain.update.session.instructions).toBe(gateway.config.assistant.instructions);
    expect(staticTools).toContain('get_current_time');

    const gold = await callFrom(gateway, '+15551230001');
    expect(gold.update.session.instructions).toBe('You are the concierge for "Ada Lovelace" ("gold" tier).');
    expect(toolNames(gold.update)).toContain('get_current_time');
    expect(toolNames(gold.update)).not.toContain('no_such_tool');
    expect(toolNames(gold.update).length).toBeLessThan(staticTools.length);
    const greeting = await gold.session.waitForClientEvent('response.create');
    expect(greeting.response.instructions).toBe('You are the concierge for "Ada Lovelace" ("gold" tier).\n\nGreet "Ada Lovelace" by name.');

    const support = await callFrom(gateway, '+15551230002', 'CA' + 'support'.padEnd(32, '0'));
    expect(support.update.session.instructions).toBe('You are the support desk. Ticket "T-1042".');
    support.call.hangUp();
    expect((await completedRecord(gateway, 'CA' + 'support'.padEnd(32, '0'), TEST_API_KEY, 5000)).assistantProfile).toBe('support');

    // The example refuses what the gateway did not sign; its log has no whole numbers.
    const forged = await fetch(backend.url, { method: 'POST', headers: { 'webhook-id': 'msg_1', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': 'v1,AAAA' }, body: '{}' });
    expect(forged.status).toBe(401);
    expect(backend.output()).toContain('refused a request with a missing or wrong signature');
    expect(backend.output()).toMatch(/from …0001 \(inbound, static profile default\): answered/);
    expect(backend.output()).not.toContain('+15551230001');

    const metrics = await gateway.app.get(GatewayMetrics).scrape();
    expect(metricValue(metrics, 'voice_gateway_assistant_lookups_total', { outcome: 'answered' })).toBe(2);
    expect(metricValue(metrics, 'voice_gateway_assistant_lookups_total', { outcome: 'no-content' })).toBe(1);
    expect(metricValue(metrics, 'voice_gateway_assistant_lookup_duration_seconds_count')).toBe(3);
  });

  it('falls back to the static profile on a slow backend (within the timeout), a 500, invalid JSON, a redirect or an unknown profile; sends no internal parameters', async () => {
    misbehaving = await startMisbehavingBackend();
    gateway = await startGateway({ ASSISTANT_PROFILES: PROFILES, ASSISTANT_GREETING: 'Say hello.', ASSISTANT_LOOKUP_URL: misbehaving.url, ASSISTANT_LOOKUP_SECRET: SECRET });
    expect(gateway.config.assistant.lookup?.timeoutMs).toBe(800);
    const staticInstructions = gateway.config.assistant.instructions;

    const slow = await callFrom(gateway, '+15550000001');
    expect(slow.update.session.instructions).toBe(staticInstructions);
    if (process.env.SHOW_TIMING) console.log(`slow lookup: session.update ${slow.afterMs.toFixed(0)} ms after the connect`);
    expect(slow.afterMs).toBeGreaterThanOrEqual(750);
    expect(slow.afterMs).toBeLessThan(800 + 150);
    for (const from of ['+15550000002', '+15550000003', '+15550000004', '+15550000005']) {
      const { update, afterMs } = await callFrom(gateway, from);
      expect(update.session.instructions, from).toBe(staticInstructions);
      if (process.env.SHOW_TIMING) console.log(`${from}: session.update ${afterMs.toFixed(0)} ms after the connect`);
      expect(afterMs, from).toBeLessThan(500);
    }
    const metrics = await gateway.app.get(GatewayMetrics).scrape();
    expect(metricValue(metrics, 'voice_gateway_assistant_lookups_total', { outcome: 'timeout' })).toBe(1);
    expect(metricValue(metrics, 'voice_gateway_assistant_lookups_total', { outcome: 'error' })).toBe(2);
    expect(metricValue(metrics, 'voice_gateway_assistant_lookups_total', { outcome: 'invalid' })).toBe(2);

    // A stream with its token, a trace context and an integrator's own parameter.
    const call = gateway.newCall({
      webhookElsewhere: true,
      customParameters: { From: '+15557770001', To: '+15559870000', campaign: 'spring', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
    });
    await call.connect();
    await vi.waitFor(() => expect(misbehaving!.received.length).toBe(6), { timeout: 3000 });
    const last = misbehaving.received[5];
    expect(verifyStandardWebhook(webhookSigningKey(SECRET), { id: last.headers['webhook-id'] as string, timestamp: last.headers['webhook-timestamp'] as string, signature: last.headers['webhook-signature'] as string }, last.body)).toBe(true);
    expect(JSON.parse(last.body)).toEqual({
      type: 'assistant.lookup',
      callSid: call.callSid,
      direction: 'inbound',
      from: '+15557770001',
      to: '+15559870000',
      profile: 'default',
      customParameters: { campaign: 'spring' },
    });
  });

  it('cancels the lookup when the caller hangs up before the backend answers', async () => {
    misbehaving = await startMisbehavingBackend();
    gateway = await startGateway({ ASSISTANT_LOOKUP_URL: misbehaving.url, ASSISTANT_LOOKUP_SECRET: SECRET, ASSISTANT_LOOKUP_TIMEOUT_MS: '2500', OPENAI_CONNECT_TIMEOUT_MS: '5000' });
    const call = gateway.newCall({ customParameters: { From: '+15550000001', To: '+15559870000' } }); // the backend takes 2 s
    await call.connect();
    await vi.waitFor(() => expect(misbehaving!.received).toHaveLength(1), { timeout: 3000 });
    const hungUpAt = performance.now();
    call.hangUp();
    await vi.waitFor(() => expect(misbehaving!.cancelledAt).toHaveLength(1), { timeout: 3000 });
    expect(misbehaving.cancelledAt[0] - hungUpAt).toBeLessThan(500);
    await vi.waitFor(async () => {
      const metrics = await gateway!.app.get(GatewayMetrics).scrape();
      expect(metricValue(metrics, 'voice_gateway_assistant_lookups_total', { outcome: 'abandoned' })).toBe(1);
    });
    expect(gateway.simulator.sessions.every((session) => session.eventsOfType('session.update').length === 0)).toBe(true);
  });
});
