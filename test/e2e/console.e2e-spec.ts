import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CallEvents, LiveCalls } from '@app/orchestration';
import { createClient } from '@redis/client';
import { FakeTwilioRestApi, mulawSilence, mulawTone } from '@app/simulators';
import { GatewayHarness, startGateway, TEST_API_KEY } from '../support/gateway-harness';
import { deleteKeys, requireRedis, TEST_REDIS_URL, uniqueKeyPrefix } from '../support/redis';

const API_KEY = 'console-test-key-0123456789';

async function token(gateway: GatewayHarness, apiKey?: string): Promise<Response> {
  return fetch(`${gateway.httpUrl}/console/token`, { method: 'POST', headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {} });
}

/** A console feed socket that records every message. */
async function openFeed(gateway: GatewayHarness, consoleToken: string) {
  const messages: Array<Record<string, any>> = [];
  const socket = new WebSocket(`ws://127.0.0.1:${gateway.port}/console/ws?console_token=${encodeURIComponent(consoleToken)}`);
  socket.on('message', (data) => messages.push(JSON.parse(data.toString())));
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  return { socket, messages, entries: (callSid: string) => messages.filter((m) => m.type === 'entry' && m.callSid === callSid).map((m) => m.entry) };
}

const waitFor = async (condition: () => boolean, what: string, timeoutMs = 8000) => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

describe('the web console', () => {
  let gateway: GatewayHarness | undefined;
  const sockets: WebSocket[] = [];
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.terminate();
    await gateway?.close();
    gateway = undefined;
  });

  it('serves the page and its scripts, and issues short-lived tokens the feed accepts', async () => {
    gateway = await startGateway();
    const page = await fetch(`${gateway.httpUrl}/console`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain('<script type="module" src="/console/console.js">');
    for (const script of ['console.js', 'softphone.js']) {
      const response = await fetch(`${gateway.httpUrl}/console/${script}`);
      expect(response.headers.get('content-type')).toMatch(/^text\/javascript/);
    }
    const issued = await token(gateway, TEST_API_KEY);
    expect(issued.status).toBe(200);
    const body = (await issued.json()) as { token: string; expiresAt: number };
    expect(body.expiresAt - Date.now()).toBeGreaterThan(30_000);
    expect(body.expiresAt - Date.now()).toBeLessThanOrEqual(60_000);
    const feed = await openFeed(gateway, body.token);
    sockets.push(feed.socket);
    await waitFor(() => feed.messages.some((m) => m.type === 'hello'), 'the hello snapshot');
  });

  it('closes a feed socket that has no valid token', async () => {
    gateway = await startGateway();
    const forged = `${Date.now() + 60_000}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`;
    for (const url of ['/console/ws', `/console/ws?console_token=${forged}`, '/console/ws?console_token=1.x']) {
      const socket = new WebSocket(`ws://127.0.0.1:${gateway.port}${url}`);
      sockets.push(socket);
      const code = await new Promise<number>((resolve) => socket.once('close', resolve));
      expect(code).toBe(1008);
    }
  });

  it('is off when disabled (production default): 404 everywhere and feed sockets closed', async () => {
    gateway = await startGateway({ CONSOLE_ENABLED: 'false' });
    expect((await fetch(`${gateway.httpUrl}/console`)).status).toBe(404);
    expect((await token(gateway)).status).toBe(404);
    const socket = new WebSocket(`ws://127.0.0.1:${gateway.port}/console/ws?console_token=1.x`);
    sockets.push(socket);
    expect(await new Promise<number>((resolve) => socket.once('close', resolve))).toBe(1008);
  });

  it('hands out tokens only for the API key when API_KEYS is set', async () => {
    gateway = await startGateway({ API_KEYS: API_KEY });
    expect(((await fetch(`${gateway.httpUrl}/console/settings`).then((r) => r.json())) as { requireApiKey: boolean }).requireApiKey).toBe(true);
    expect((await token(gateway)).status).toBe(401);
    expect((await token(gateway, 'wrong-key-0123456789abc')).status).toBe(401);
    expect((await token(gateway, API_KEY)).status).toBe(200);
  });

  it('with Twilio signatures on, refuses console tokens (and so unsigned media streams) unless API_KEYS is set and presented', async () => {
    gateway = await startGateway({ TWILIO_AUTH_TOKEN: 'twilio-auth-token-0123456789', API_KEYS: undefined });
    expect(((await fetch(`${gateway.httpUrl}/console/settings`).then((r) => r.json())) as { requireApiKey: boolean }).requireApiKey).toBe(true);
    const refused = await token(gateway);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { message: string }).message).toContain('set API_KEYS');
    const unsigned = gateway.newCall({ headers: {} });
    await expect(unsigned.connect()).rejects.toThrow(/403/);
    expect(gateway.simulator.sessions).toHaveLength(0);
  });

  it('streams a live call: the call list with caller and state, both sides of the transcript, barge-ins and keys', async () => {
    gateway = await startGateway({ ASSISTANT_GREETING: '', ASSISTANT_PROFILES: JSON.stringify({ support: { numbers: ['+15550000000'] } }) });
    const feed = await openFeed(gateway, await gateway.consoleToken());
    sockets.push(feed.socket);
    const call = gateway.newCall({ customParameters: { From: '+15557654321', To: '+15550000000' } });
    await call.connect();
    const session = await gateway.simulator.nextSession(0);
    await session.waitForClientEvent('session.update');

    await call.say(Buffer.concat([mulawTone(400, 500), mulawSilence(700)]));
    await call.waitForAudio(8 * 200);
    await waitFor(() => feed.messages.some((m) => m.type === 'calls' && m.calls.some((c: any) => c.callSid === call.callSid && c.state === 'assistant-speaking')), 'the call shown as assistant speaking');
    const listed = feed.messages.filter((m) => m.type === 'calls').at(-1)!.calls.find((c: any) => c.callSid === call.callSid);
    expect(listed).toMatchObject({ from: '+15557654321', to: '+15550000000', profile: 'support', softphone: false });

    await call.say(mulawTone(400, 500)); // talks over the reply
    await waitFor(() => feed.entries(call.callSid).some((e) => e.kind === 'barge-in'), 'a barge-in entry');
    call.sendDtmf('7');
    await waitFor(() => feed.entries(call.callSid).some((e) => e.kind === 'dtmf'), 'the key press');
    call.hangUp();
    await waitFor(() => feed.entries(call.callSid).some((e) => e.kind === 'ended'), 'the end of the call');

    const entries = feed.entries(call.callSid);
    expect(entries.map((e) => e.kind)).toEqual(expect.arrayContaining(['started', 'caller', 'assistant', 'barge-in', 'dtmf', 'ended']));
    expect(entries.find((e) => e.kind === 'caller')!.text).toMatch(/simulated caller turn 1/);
    expect(entries.find((e) => e.kind === 'assistant')!.text).toBe('This is simulated reply number 1.');
    expect(entries.find((e) => e.kind === 'barge-in')!.text).toMatch(/heard \d+\.\d s of \d+\.\d s sent/);
    expect(entries.find((e) => e.kind === 'dtmf')!.text).toBe('pressed 7');
    const times = entries.map((e) => e.at);
    expect([...times].sort((a, b) => a - b)).toEqual(times);

    // A console opened later gets the ended call's history in its snapshot.
    const late = await openFeed(gateway, await gateway.consoleToken());
    sockets.push(late.socket);
    await waitFor(() => late.messages.some((m) => m.type === 'hello'), 'the late hello');
    const history = late.messages.find((m) => m.type === 'hello')!.calls.find((c: any) => c.callSid === call.callSid);
    expect(history.state).toBe('ended');
    expect(history.entries.length).toBe(entries.length);
  });

  it('shows tool calls and transfers, and with TRANSCRIPT_REDACTION on shows and shares no personal data', async () => {
    await requireRedis();
    const prefix = uniqueKeyPrefix('console-redaction');
    const twilioApi = await FakeTwilioRestApi.start();
    const accountSid = 'AC' + '2468ace013579bdf'.repeat(2);
    try {
      gateway = await startGateway(
        {
          ASSISTANT_GREETING: '',
          TRANSCRIPT_REDACTION: 'all',
          REDIS_URL: TEST_REDIS_URL,
          REDIS_KEY_PREFIX: prefix,
          TWILIO_ACCOUNT_SID: accountSid,
          TWILIO_API_BASE_URL: twilioApi.baseUrl,
          TRANSFER_DESTINATIONS: 'sales:+15557650001',
        },
        { autoRespond: false },
      );
      const feed = await openFeed(gateway, await gateway.consoleToken());
      sockets.push(feed.socket);
      const call = gateway.newCall({ accountSid, customParameters: { From: '+15551110000', To: '+15550000000' } });
      await call.connect();
      const session = await gateway.simulator.nextSession(0);
      await session.waitForClientEvent('session.update');

      session.stopSpeech({ transcript: 'Mail me at jane.doe@example.com, my card is 4111 1111 1111 1111.' });
      await waitFor(() => feed.entries(call.callSid).some((e) => e.kind === 'caller'), 'the caller turn');
      const { callId } = session.callFunction('transfer_call', { destination: 'sales', reason: 'wants a quote' });
      await session.waitForClientEvent('conversation.item.create', (e) => e.item?.call_id === callId);
      await waitFor(() => feed.entries(call.callSid).some((e) => e.kind === 'transfer'), 'the transfer entry', 10_000);
      await call.waitForClose();
      await waitFor(() => feed.entries(call.callSid).some((e) => e.kind === 'ended'), 'the end of the call');

      const entries = feed.entries(call.callSid);
      expect(entries.find((e) => e.kind === 'caller')!.text).toBe('Mail me at [email], my card is [card].');
      expect(entries.find((e) => e.kind === 'tool')!.text).toMatch(/^transfer_call: done in \d+ ms$/);
      expect(entries.find((e) => e.kind === 'transfer')!.text).toBe('blind transfer to sales: connected');
      expect(entries.find((e) => e.kind === 'ended')!.text).toBe('call ended: transferred');

      // What the console shares with the other pods (Redis, kept an hour) is redacted as well.
      const redis = createClient({ url: TEST_REDIS_URL });
      await redis.connect();
      try {
        const stored: string[] = [];
        for await (const keys of redis.scanIterator({ MATCH: `${prefix}lists:console*`, COUNT: 100 })) {
          for (const key of keys) stored.push(...(await redis.lRange(key, 0, -1)));
        }
        expect(stored.join('\n')).toContain('[email]');
        expect(stored.join('\n')).not.toMatch(/jane\.doe|4111/);
      } finally {
        redis.destroy();
      }
    } finally {
      await twilioApi.close();
      await deleteKeys(prefix);
    }
  });

  it('says how an outbound call was answered and when its recording started', async () => {
    gateway = await startGateway({ ASSISTANT_GREETING: '' }, { autoRespond: false });
    const feed = await openFeed(gateway, await gateway.consoleToken());
    sockets.push(feed.socket);
    const call = gateway.newCall();
    await call.connect();
    await gateway.simulator.nextSession(0);
    const live = gateway.app.get(LiveCalls).observed()[0];
    const events = gateway.app.get(CallEvents);
    events.emit('recordingStarted', live, { sid: 'RE' + '1'.repeat(32), url: 'https://api.twilio.com/rec', channels: 2, status: 'in-progress' });
    events.emit('recordingFailed', live, 'HTTP 400');
    events.emit('voicemailDetection', live, { answeredBy: 'machine_end_beep', detectedBy: 'twilio', outcome: 'left', voicemailLeft: true });
    events.emit('voicemailDetection', live, { answeredBy: 'human', voicemailLeft: false });
    await waitFor(() => feed.entries(call.callSid).filter((e) => e.kind === 'voicemail').length === 2, 'the voicemail entries');
    const texts = feed.entries(call.callSid).map((e) => `${e.kind}: ${e.text}`);
    expect(texts).toEqual(
      expect.arrayContaining([
        `recording: recording started (dual channel, RE${'1'.repeat(32)})`,
        'error: the recording could not start: HTTP 400',
        'voicemail: answered by machine end beep (detected by Twilio): message left, hung up',
        'voicemail: answered by human',
      ]),
    );
    call.hangUp();
  });

  it('bounds what it keeps and sends: long entries are cut, and a new console\'s snapshot stays small', async () => {
    gateway = await startGateway({ ASSISTANT_GREETING: '' }, { autoRespond: false });
    const call = gateway.newCall();
    await call.connect();
    await gateway.simulator.nextSession(0);
    const live = gateway.app.get(LiveCalls).observed()[0];
    const events = gateway.app.get(CallEvents);
    const feed = await openFeed(gateway, ((await (await token(gateway, TEST_API_KEY)).json()) as { token: string }).token);
    sockets.push(feed.socket);
    // A 60 KB "key press" and hundreds of huge transcripts (what a hostile or broken peer could cause).
    events.emit('dtmf', live, '1'.repeat(60_000));
    for (let i = 0; i < 300; i++) events.emit('assistantTranscript', live, `item_${i}`, `${i} ${'x'.repeat(100_000)}`);
    await waitFor(() => feed.entries(call.callSid).length >= 301, 'the entries');
    const longest = Math.max(...feed.messages.filter((m) => m.type === 'entry').map((m) => m.entry.text.length));
    expect(longest).toBeLessThanOrEqual(1000);
    expect(feed.entries(call.callSid).find((e) => e.kind === 'dtmf')!.text).toMatch(/^pressed 1+…$/);

    const late = new WebSocket(`ws://127.0.0.1:${gateway.port}/console/ws?console_token=${encodeURIComponent(((await (await token(gateway, TEST_API_KEY)).json()) as { token: string }).token)}`);
    sockets.push(late);
    const hello = await new Promise<string>((resolve) => late.once('message', (data) => resolve(data.toString())));
    expect(Buffer.byteLength(hello)).toBeLessThanOrEqual(256 * 1024);
    const snapshot = JSON.parse(hello) as { type: string; calls: Array<{ callSid: string; entries: unknown[] }> };
    expect(snapshot.type).toBe('hello');
    const history = snapshot.calls.find((c) => c.callSid === call.callSid)!;
    expect(history.entries.length).toBeGreaterThan(0);
    expect(history.entries.length).toBeLessThanOrEqual(50);
    call.hangUp();
  });
});
