import { connect, Socket } from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { InvalidEnvironmentError, loadGatewayConfig } from '@app/config';
import { FakeTwilioRestApi } from '@app/simulators';
import { GatewayHarness, sleep, startGateway } from '../support/gateway-harness';
import { expectCallFlowing, startLiveCall } from '../support/live-call';
import { metricValue, scrape } from '../support/prometheus';

const ACCOUNT_SID = 'AC' + '0123456789abcdef'.repeat(2);
const FRAME = Buffer.alloc(160, 0x7f).toString('base64');

/** A garbage collector for honest heap measurements (the flag can be set at run time). */
function heapAfterGc(): number {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
  return process.memoryUsage().heapUsed;
}

const mediaFrame = (streamSid: string, i: number) =>
  `{"event":"media","sequenceNumber":"${i}","media":{"track":"inbound","chunk":"${i}","timestamp":"${i * 20}","payload":"${FRAME}"},"streamSid":"${streamSid}"}`;

/**
 * Abuse of what the gateway spends and holds: OpenAI audio, memory, sockets, outbound calls. Each
 * attack must be contained while a real call on the same gateway keeps flowing both ways.
 */
describe('abuse limits: spend and resources stay bounded, real calls keep flowing', () => {
  let gateway: GatewayHarness | undefined;
  let twilioApi: FakeTwilioRestApi | undefined;
  afterEach(async () => {
    await gateway?.close();
    await twilioApi?.close();
    gateway = undefined;
    twilioApi = undefined;
  });

  async function startWithTwilio(env: Record<string, string | undefined> = {}, simulatorOptions = {}) {
    twilioApi = await FakeTwilioRestApi.start();
    gateway = await startGateway(
      { ASSISTANT_GREETING: '', TWILIO_ACCOUNT_SID: ACCOUNT_SID, TWILIO_API_BASE_URL: twilioApi.baseUrl, TWILIO_PHONE_NUMBER: '+14155550199', ...env },
      { autoRespond: false, ...simulatorOptions },
    );
    return gateway;
  }

  it('media flood: 1,000 s of caller audio sent in 5 s reaches OpenAI at about 1.2x real time (after one 2 s burst); the rest is dropped and counted', async () => {
    gateway = await startGateway({ ASSISTANT_GREETING: '' }, { autoRespond: false });
    const live = await startLiveCall(gateway);
    const flooder = await startLiveCall(gateway, { customParameters: { From: '+14155550111' } });
    flooder.call.stopReading(); // its own 20 ms frames stop: only the flood counts
    const startedAt = Date.now();
    // 1,000 s of audio in about 5 s (200x real time).
    for (let i = 0; i < 50_000; i++) {
      flooder.call.sendRaw(mediaFrame(flooder.call.streamSid, i));
      if (i % 1000 === 999) await sleep(Math.max(0, startedAt + ((i + 1) / 10_000) * 1000 - Date.now()));
    }
    // Until the audio reaching the simulator stops growing.
    let reached = -1;
    let lastGrowthAt = Date.now();
    while (Date.now() - lastGrowthAt < 500) {
      const now = flooder.session.inputAudio().length;
      if (now !== reached) {
        reached = now;
        lastGrowthAt = Date.now();
      }
      await sleep(50);
    }
    const wallSeconds = (lastGrowthAt - startedAt) / 1000;
    const audioSeconds = reached / 8000;
    console.info(`media flood: ${audioSeconds.toFixed(2)} s of audio reached OpenAI in ${wallSeconds.toFixed(2)} s (${(audioSeconds / wallSeconds).toFixed(2)} s per s, 1,000 s sent)`);
    // One burst of two seconds, then at most 1.2x real time (plus what had flowed before the flood).
    expect(audioSeconds).toBeLessThan(2 + 1.2 * wallSeconds + 1);
    const metrics = await scrape(gateway.httpUrl);
    expect(metricValue(metrics, 'voice_gateway_caller_audio_dropped_bytes_total')).toBeGreaterThan(900 * 8000);
    await expectCallFlowing(live);
  });

  it('stalled OpenAI socket: past the cap of unsent bytes the caller goes to the spoken fallback, and memory stays bounded', async () => {
    // A flood at 100x real time fills the kernel's buffers quickly (at 1.2x that takes minutes; the cap is the same).
    await startWithTwilio({ CALLER_AUDIO_MAX_RATE: '100', FALLBACK_MESSAGE: 'Sorry, please call again later.', OPENAI_MAX_RECONNECTS_PER_CALL: '0' });
    const live = await startLiveCall(gateway!);
    const stalled = await startLiveCall(gateway!, { customParameters: { From: '+14155550122' } });
    const heapBefore = heapAfterGc();
    stalled.session.stopReading();
    let sent = 0;
    let peakHeap = 0;
    const floodStartedAt = Date.now();
    // About 400x real time (pacing lets 100x through), until the gateway gives the caller to the fallback.
    while (!twilioApi!.requests.some((r) => r.path.endsWith(`/Calls/${stalled.call.callSid}.json`)) && Date.now() - floodStartedAt < 30_000) {
      for (let i = 0; i < 200; i++) stalled.call.sendRaw(mediaFrame(stalled.call.streamSid, sent++));
      await sleep(10);
      // What the process holds while the flood runs (after a collection: garbage from parsing the
      // flood is not memory held, and when the collector runs would make the figure noise).
      if (sent % 10_000 === 0) peakHeap = Math.max(peakHeap, heapAfterGc());
    }
    const redirect = await twilioApi!.waitForRequest((r) => r.path.endsWith(`/Calls/${stalled.call.callSid}.json`), 10_000);
    expect(redirect.form.Twiml).toBe('<?xml version="1.0" encoding="UTF-8"?><Response><Say>Sorry, please call again later.</Say><Hangup/></Response>');
    await stalled.call.waitForClose(5000);
    const heapGrowthMb = (Math.max(peakHeap, heapAfterGc()) - heapBefore) / 2 ** 20;
    console.info(
      `stalled OpenAI socket: fallback after ${((Date.now() - floodStartedAt) / 1000).toFixed(1)} s and ${sent} frames sent (${(sent / 50).toFixed(0)} s of audio); heap growth at most ${heapGrowthMb.toFixed(1)} MiB`,
    );
    expect(heapGrowthMb).toBeLessThan(16);
    await expectCallFlowing(live);
  });

  it('stalled Twilio socket: a caller that stops reading is ended cleanly past the cap, its OpenAI session closed', async () => {
    // OpenAI sends a 15-minute answer as fast as it can.
    gateway = await startGateway({ ASSISTANT_GREETING: '' }, { autoRespond: false, deltaMs: 2000, deltaIntervalMs: 1 });
    const live = await startLiveCall(gateway);
    const stalled = await startLiveCall(gateway, { customParameters: { From: '+14155550133' } });
    const heapBefore = heapAfterGc();
    stalled.call.stopReading();
    void stalled.session.respond({ audio: Buffer.alloc(8 * 900_000, 0x7f) });
    await stalled.session.waitForClose(20_000);
    const heapGrowthMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
    console.info(`stalled Twilio socket: call ended, heap growth ${heapGrowthMb.toFixed(1)} MiB`);
    let metrics = '';
    for (const deadline = Date.now() + 3000; Date.now() < deadline; await sleep(50)) {
      metrics = await scrape(gateway.httpUrl);
      if (metricValue(metrics, 'voice_gateway_calls_total', { outcome: 'stream-stalled' }) === 1) break;
    }
    expect(metricValue(metrics, 'voice_gateway_calls_total', { outcome: 'stream-stalled' })).toBe(1);
    expect(heapGrowthMb).toBeLessThan(48);
    await expectCallFlowing(live);
  });

  it('oversized DTMF: a 60 KB "digit" is dropped at the parser, reaches neither the model nor the console; real keys still work', async () => {
    gateway = await startGateway({ ASSISTANT_GREETING: '', DTMF_WINDOW_MS: '0' }, { autoRespond: false });
    const live = await startLiveCall(gateway);
    const attacker = await startLiveCall(gateway, { customParameters: { From: '+14155550144' } });
    for (let i = 0; i < 20; i++) attacker.call.sendDtmf('9'.repeat(60_000));
    attacker.call.sendDtmf('5');
    const entry = await attacker.session.waitForClientEvent('conversation.item.create', (e) => e.item?.role === 'user');
    expect(entry.item.content[0].text).toBe('[The caller pressed on the phone keypad: 5]');
    expect(attacker.session.eventsOfType('conversation.item.create').filter((e) => e.item?.role === 'user')).toHaveLength(1);
    // A console opened now gets a small snapshot: only the real key press is in its history.
    const socket = new WebSocket(`ws://127.0.0.1:${gateway.port}/console/ws?console_token=${encodeURIComponent(await gateway.consoleToken())}`);
    const hello = await new Promise<string>((resolve) => socket.once('message', (data) => resolve(data.toString())));
    socket.close();
    expect(hello.length).toBeLessThan(10_000);
    expect(hello).toContain('pressed 5');
    expect(attacker.call.isOpen).toBe(true);
    await expectCallFlowing(live);
  });

  it('half-open requests: beyond the connection cap sockets are refused, stalled requests are cut at the header timeout, probes answer again', async () => {
    gateway = await startGateway({ ASSISTANT_GREETING: '', HTTP_MAX_CONNECTIONS: '50', HTTP_HEADERS_TIMEOUT_MS: '1000', HTTP_REQUEST_TIMEOUT_MS: '2000' }, { autoRespond: false });
    const live = await startLiveCall(gateway);
    const server = gateway.app.getHttpServer() as Server;
    const halfOpen: Socket[] = [];
    const closed = new Set<Socket>();
    for (let i = 0; i < 300; i++) {
      const socket = connect(gateway.port, '127.0.0.1', () => socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n'));
      socket.on('error', () => undefined);
      socket.on('close', () => closed.add(socket));
      socket.resume(); // reads the 408 the server answers at the timeout, so the close is seen
      halfOpen.push(socket);
    }
    await sleep(300);
    const held = await new Promise<number>((resolve, reject) => server.getConnections((error, count) => (error ? reject(error) : resolve(count))));
    console.info(`half-open requests: ${held} connections held of 300 opened (cap 50), ${closed.size} refused at once`);
    expect(held).toBeLessThanOrEqual(50);
    // The live call keeps its socket and keeps flowing while the server is saturated.
    await expectCallFlowing(live);
    // Past the header timeout every half-open request is cut, and the probes answer again.
    await live.call.waitUntil(() => closed.size === halfOpen.length, 5000, 'the half-open requests to be closed');
    expect((await fetch(`${gateway.httpUrl}/healthz`)).status).toBe(200);
    await expectCallFlowing(live);
  });

  it('proxy-header spoofing: POST /calls never sends Twilio to a host the request named; production needs PUBLIC_URL', async () => {
    await startWithTwilio();
    const live = await startLiveCall(gateway!);
    const placed = await fetch(`${gateway!.httpUrl}/calls`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${gateway!.config.auth.apiKeys[0].key}`,
        'x-forwarded-host': 'attacker.example',
        'x-forwarded-proto': 'https',
      },
      body: JSON.stringify({ to: '+14155550123' }),
    });
    expect(placed.status).toBe(201);
    const create = await twilioApi!.waitForRequest((r) => r.path.endsWith('/Calls.json'));
    expect(create.form.Url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${gateway!.port}/incoming-call\\?context=`));
    expect(create.form.StatusCallback).toBe(`http://127.0.0.1:${gateway!.port}/twilio/call-status`);
    expect(JSON.stringify(create.form)).not.toContain('attacker');
    // Production refuses to start without its public URL (or an explicit trust in the proxy).
    const production = { NODE_ENV: 'production', OPENAI_API_KEY: 'sk-real-looking-0123456789abcdef', TWILIO_AUTH_TOKEN: 'twilio-token-0123456789' };
    expect(() => loadGatewayConfig(production)).toThrow(InvalidEnvironmentError);
    expect(() => loadGatewayConfig(production)).toThrow(/PUBLIC_URL: is required in production/);
    await expectCallFlowing(live);
  });

  it('premium destinations, floods of calls and the wrong key: toll fraud is refused before Twilio is asked', async () => {
    await startWithTwilio({
      API_KEYS: 'dialer-key-0123456789:calls,reader-key-0123456789:records,second-dialer-0123456789:calls,third-dialer-0123456789:calls',
      OUTBOUND_CALLS_PER_MINUTE: '5',
      OUTBOUND_MAX_CONCURRENT_CALLS_PER_KEY: '2',
    });
    const live = await startLiveCall(gateway!);
    const post = (to: string, key = 'dialer-key-0123456789') =>
      fetch(`${gateway!.httpUrl}/calls`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify({ to }) });

    // (Spread over two keys: each key's rate limit, 5 a minute, counts refusals too.)
    for (const [to, reason, key] of [
      ['+19005551234', 'high-risk-range', 'second-dialer-0123456789'],
      ['+882161234567', 'high-risk-range', 'second-dialer-0123456789'],
      ['+2476000', 'invalid-number', 'second-dialer-0123456789'],
      ['+5921234567', 'invalid-number', 'third-dialer-0123456789'],
      ['+33899123456', 'premium-or-special', 'third-dialer-0123456789'],
      ['+16135550123', 'country-not-allowed', 'third-dialer-0123456789'],
    ]) {
      const refused = await post(to, key);
      expect(refused.status, to).toBe(403);
      expect(await refused.json()).toMatchObject({ reason });
    }
    expect(twilioApi!.requests).toEqual([]);

    // 40 calls as fast as possible: two fit the concurrency limit, the rest of the first five hit it, the rest the rate limit.
    const responses = await Promise.all(Array.from({ length: 40 }, () => post('+14155550123')));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(2);
    expect(statuses.filter((s) => s === 429)).toHaveLength(38);
    const bodies = await Promise.all(responses.filter((r) => r.status === 429).map((r) => r.json() as Promise<{ message: string }>));
    expect(bodies.filter((b) => /ringing or live/.test(b.message))).toHaveLength(3);
    expect(bodies.filter((b) => /rate limit exceeded/.test(b.message))).toHaveLength(35);
    expect(responses.find((r) => r.status === 429 && r.headers.get('retry-after-outbound-calls'))).toBeDefined();
    expect(twilioApi!.requests.filter((r) => r.path.endsWith('/Calls.json'))).toHaveLength(2);

    // Scoped keys: a reader cannot dial, a dialer cannot read records.
    expect((await post('+14155550123', 'reader-key-0123456789')).status).toBe(403);
    const read = (key: string) => fetch(`${gateway!.httpUrl}/calls`, { headers: { authorization: `Bearer ${key}` } });
    expect((await read('dialer-key-0123456789')).status).toBe(403);
    expect((await read('reader-key-0123456789')).status).toBe(200);
    await expectCallFlowing(live);
  });
});
