import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeTwilioCall, mulawTone, RealtimeSimulator } from '@app/simulators';
import twilio from 'twilio';
import { GATEWAY_MAIN as MAIN, buildGateway } from '../support/gateway-build';
import { TEST_OPENAI_KEY, TEST_TWILIO_AUTH_TOKEN } from '../support/gateway-harness';

const ROOT = resolve(__dirname, '../..') + '/';

/** The real deployable, `node dist/.../main.js`, as its own process. */
interface GatewayProcess {
  child: ChildProcess;
  httpUrl: string;
  port: number;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitFor(condition: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const status = (url: string) => fetch(url).then((r) => r.status, () => 0);

/** A call as Twilio places it against the process: the signed webhook, then the signed stream with the TwiML's parameters. */
function twilioCall(gateway: { httpUrl: string; port: number }, authToken: string, customParameters?: Record<string, string>): FakeTwilioCall {
  const streamUrl = `ws://127.0.0.1:${gateway.port}/media-stream`;
  return new FakeTwilioCall({
    url: streamUrl,
    customParameters,
    webhook: { url: `${gateway.httpUrl}/incoming-call`, authToken },
    headers: { 'x-twilio-signature': twilio.getExpectedTwilioSignature(authToken, streamUrl, {}) },
  });
}

describe('the built gateway process on SIGTERM', () => {
  let simulator: RealtimeSimulator;
  let gateway: GatewayProcess | undefined;

  beforeAll(async () => {
    // The deployable, as the Dockerfile builds it (one build shared with the other tests that need it).
    await buildGateway();
    simulator = await RealtimeSimulator.start({ apiKey: TEST_OPENAI_KEY, autoRespond: false });
  }, 180_000);

  afterAll(async () => {
    await simulator?.close();
  });

  afterEach(async () => {
    if (gateway && gateway.child.exitCode === null && gateway.child.signalCode === null) {
      gateway.child.kill('SIGKILL');
      await gateway.exited;
    }
    gateway = undefined;
  });

  async function startProcess(env: Record<string, string> = {}): Promise<GatewayProcess> {
    const port = await freePort();
    const child = spawn(process.execPath, [MAIN], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'test',
        PORT: String(port),
        OPENAI_API_KEY: TEST_OPENAI_KEY,
        OPENAI_REALTIME_URL: simulator.url,
        TWILIO_AUTH_TOKEN: TEST_TWILIO_AUTH_TOKEN,
        ASSISTANT_GREETING: '',
        LOG_LEVEL: 'info',
        LOG_FORMAT: 'json',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
    const httpUrl = `http://127.0.0.1:${port}`;
    const started: GatewayProcess = { child, httpUrl, port, output: () => output, exited };
    await waitFor(async () => child.exitCode !== null || (await status(`${httpUrl}/readyz`)) === 200, 30_000, 'the gateway to be ready');
    if (child.exitCode !== null) throw new Error(`gateway exited at start:\n${output}`);
    return started;
  }

  it('turns not-ready at once, keeps a live call flowing until the caller hangs up, then exits 0', async () => {
    gateway = await startProcess({ DRAIN_TIMEOUT_S: '60' });
    const call = twilioCall(gateway, TEST_TWILIO_AUTH_TOKEN);
    await call.connect();
    const session = await simulator.nextSession(0);
    await session.waitForClientEvent('session.update');

    gateway.child.kill('SIGTERM');
    const signalledAt = Date.now();
    await waitFor(async () => (await status(`${gateway!.httpUrl}/readyz`)) === 503, 5000, 'readiness to turn 503');
    expect(Date.now() - signalledAt).toBeLessThan(5000);
    expect(await status(`${gateway.httpUrl}/healthz`)).toBe(200);
    const form = { CallSid: 'CA1' };
    const signed = { 'x-twilio-signature': twilio.getExpectedTwilioSignature(TEST_TWILIO_AUTH_TOKEN, `${gateway.httpUrl}/incoming-call`, form) };
    const twiml = await (await fetch(`${gateway.httpUrl}/incoming-call`, { method: 'POST', headers: signed, body: new URLSearchParams(form) })).text();
    expect(twiml).toMatch(/<Say>[^<]+<\/Say><Hangup\/>/);
    expect(twiml).not.toContain('<Connect>');

    // The live call keeps flowing both ways while the process drains.
    const heard = session.inputAudio().length;
    await call.waitUntil(() => session.inputAudio().length >= heard + 160 * 25, 5000, 'caller audio after SIGTERM');
    await session.respond({ audio: mulawTone(300, 300) }).finished;
    await call.waitForAudio(8 * 300);
    expect(call.isOpen).toBe(true);
    expect(gateway.child.exitCode).toBeNull();

    const hungUpAt = Date.now();
    call.hangUp();
    const exit = await gateway.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - hungUpAt).toBeLessThan(10_000);
    expect(session.inputAudio().equals(call.sentAudio())).toBe(true);
    expect(gateway.output()).toContain('draining');
  }, 60_000);

  it('exits 0 promptly on SIGTERM with no live calls', async () => {
    gateway = await startProcess();
    const signalledAt = Date.now();
    gateway.child.kill('SIGTERM');
    expect(await gateway.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalledAt).toBeLessThan(10_000);
  }, 60_000);

  it('never writes secrets or audio to its logs (at trace level), nor echoes them in errors', async () => {
    const twilioToken = 'twilio-secret-token-0123456789';
    const apiKey = 'api-secret-key-0123456789abcdef';
    gateway = await startProcess({ LOG_LEVEL: 'trace', TWILIO_AUTH_TOKEN: twilioToken, API_KEYS: apiKey });
    const form = { CallSid: 'CA1', From: '+15550001111', To: '+15550002222' };
    const signature = twilio.getExpectedTwilioSignature(twilioToken, `${gateway.httpUrl}/incoming-call`, form);
    expect((await fetch(`${gateway.httpUrl}/incoming-call`, { method: 'POST', headers: { 'x-twilio-signature': signature }, body: new URLSearchParams(form) })).status).toBe(200);
    const wrongKey = 'wrong-secret-key-0123456789abcdef';
    const refused = await fetch(`${gateway.httpUrl}/calls`, { headers: { authorization: `Bearer ${wrongKey}` } });
    expect(refused.status).toBe(401);
    expect(await refused.text()).not.toContain(wrongKey);
    expect((await fetch(`${gateway.httpUrl}/calls`, { headers: { authorization: `Bearer ${apiKey}` } })).status).toBe(200);

    const call = twilioCall(gateway, twilioToken, { From: '+14155550123', To: '+14155550199' });
    await call.connect();
    const streamToken = call.streamParameters.StreamToken;
    expect(streamToken).toMatch(/^st1\./);
    const session = await simulator.nextSession(simulator.sessions.length);
    await session.waitForClientEvent('session.update');
    const speech = mulawTone(400, 500);
    await call.say(speech);
    const reply = mulawTone(300, 700);
    await session.respond({ audio: reply }).finished;
    await call.waitForAudio(reply.length);
    call.hangUp();
    await session.waitForClose();
    gateway.child.kill('SIGTERM');
    await gateway.exited;

    const logs = gateway.output();
    expect(logs).toContain('call ended');
    // Callers' numbers are masked (LOG_CALLER_NUMBERS is off by default).
    expect(logs).toContain('"from":"+14*******23"');
    expect(logs).not.toContain('4155550123');
    for (const secret of [TEST_OPENAI_KEY, twilioToken, apiKey, wrongKey, signature, streamToken]) expect(logs).not.toContain(secret);
    // No audio: neither a caller frame nor an assistant chunk appears in any form.
    expect(logs).not.toContain(speech.subarray(0, 160).toString('base64'));
    expect(logs).not.toContain(reply.subarray(0, 600).toString('base64').slice(0, 40));
  }, 60_000);
});
