import { afterEach, describe, expect, it } from 'vitest';
import { CallDrainService } from '@app/operations';
import { FakeTwilioRestApi, mulawTone } from '@app/simulators';
import { GatewayHarness, startGateway } from '../support/gateway-harness';
import { softphoneCall } from '../support/live-call';
import { metricValue, scrape } from '../support/prometheus';

const TWILIO_SID = 'AC' + '0123456789abcdef'.repeat(2);
const TWILIO_TOKEN = 'twilio-auth-token-0123456789';

const incomingCall = (gateway: GatewayHarness) =>
  gateway.postWebhook('/incoming-call', { CallSid: 'CA77', AccountSid: gateway.config.telephony.accountSid ?? 'AC77', From: '+15550001111' });

describe('operations: health, metrics, admission and drain', () => {
  let gateway: GatewayHarness | undefined;
  let twilioApi: FakeTwilioRestApi | undefined;
  afterEach(async () => {
    await gateway?.close();
    await twilioApi?.close();
    gateway = undefined;
    twilioApi = undefined;
  });

  it('moves /metrics as a call runs: active up then down, set-up time, bytes each way, a barge-in, tokens, outcome', async () => {
    gateway = await startGateway({ ASSISTANT_GREETING: '' }, { autoRespond: false });
    const before = await scrape(gateway.httpUrl);
    expect(metricValue(before, 'voice_gateway_calls_active')).toBe(0);
    expect(metricValue(before, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);

    const call = gateway.newCall();
    await call.connect();
    const session = await gateway.simulator.nextSession(0);
    await session.waitForClientEvent('session.update');
    await call.waitUntil(() => call.sentAudio().length >= 160 * 5, 5000, 'caller audio');
    // A 4 s reply plays on the phone in real time; wait until the caller has heard part of it.
    session.respond({ audio: mulawTone(4000, 300) });
    await call.waitUntil(() => call.echoedMarks.length >= 2, 5000, 'part of the reply to be heard');
    const during = await scrape(gateway.httpUrl);
    expect(metricValue(during, 'voice_gateway_calls_active')).toBe(1);
    expect(metricValue(during, 'voice_gateway_calls_started_total')).toBe(1);
    expect(metricValue(during, 'voice_gateway_call_setup_seconds_count')).toBe(1);
    expect(metricValue(during, 'voice_gateway_media_bytes_total', { direction: 'inbound' })).toBeGreaterThan(0);
    expect(metricValue(during, 'voice_gateway_media_bytes_total', { direction: 'outbound' })).toBeGreaterThan(0);

    // The caller talks over it: one barge-in, one truncation; the answer to their turn gives a latency.
    session.startSpeech();
    await session.waitForClientEvent('conversation.item.truncate');
    session.stopSpeech({ respond: false });
    const heard = call.receivedAudio().length;
    await session.respond({ audio: mulawTone(200, 300) }).finished;
    await call.waitForAudio(heard + 8 * 200);
    call.hangUp();
    await session.waitForClose();

    let after = '';
    for (const deadline = Date.now() + 5000; Date.now() < deadline; ) {
      after = await scrape(gateway.httpUrl);
      if (metricValue(after, 'voice_gateway_calls_active') === 0) break;
    }
    expect(metricValue(after, 'voice_gateway_calls_active')).toBe(0);
    expect(metricValue(after, 'voice_gateway_calls_total', { outcome: 'caller-hung-up' })).toBe(1);
    expect(metricValue(after, 'voice_gateway_call_duration_seconds_count')).toBe(1);
    expect(metricValue(after, 'voice_gateway_barge_ins_total')).toBe(1);
    expect(metricValue(after, 'voice_gateway_truncations_total')).toBe(1);
    expect(metricValue(after, 'voice_gateway_response_latency_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(metricValue(after, 'voice_gateway_openai_tokens_total', { kind: 'output_audio' })).toBeGreaterThan(0);
    expect(metricValue(after, 'voice_gateway_openai_tokens_total', { kind: 'input_text' })).toBeGreaterThan(0);
    expect(metricValue(after, 'voice_gateway_openai_reconnects_total')).toBe(0);
    // Exact byte counts each way, carried over from the ended call.
    expect(metricValue(after, 'voice_gateway_media_bytes_total', { direction: 'inbound' })).toBe(call.sentAudio().length);
    expect(metricValue(after, 'voice_gateway_media_bytes_total', { direction: 'outbound' })).toBe(call.receivedAudio().length);
    expect(metricValue(after, 'voice_gateway_media_frames_total', { direction: 'inbound' })).toBe(call.sentAudio().length / 160);
  });

  it('counts OpenAI errors by code', async () => {
    gateway = await startGateway({ ASSISTANT_GREETING: '' }, { autoRespond: false });
    const call = gateway.newCall();
    await call.connect();
    const session = await gateway.simulator.nextSession(0);
    await session.waitForClientEvent('session.update');
    // (A server_error would make the call reconnect; these stay on the same session.)
    session.sendError('invalid_request_error', 'rate_limit_exceeded', 'Slow down.');
    session.sendError('invalid_request_error', 'rate_limit_exceeded', 'Slow down.');
    let text = '';
    for (const deadline = Date.now() + 3000; Date.now() < deadline; ) {
      text = await scrape(gateway.httpUrl);
      if (metricValue(text, 'voice_gateway_openai_errors_total', { code: 'rate_limit_exceeded' }) === 2) break;
    }
    expect(metricValue(text, 'voice_gateway_openai_errors_total', { code: 'rate_limit_exceeded' })).toBe(2);
  });

  it('reports liveness and readiness, and at MAX_CONCURRENT_CALLS refuses politely until a call ends', async () => {
    gateway = await startGateway(
      { MAX_CONCURRENT_CALLS: '1', MAX_CONCURRENT_CALLS_HEADROOM: '0', CALL_REFUSED_MESSAGE: 'All lines are busy.' },
      { autoRespond: false },
    );
    expect((await fetch(`${gateway.httpUrl}/healthz`)).status).toBe(200);
    const ready = await fetch(`${gateway.httpUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ok',
      info: { calls: { status: 'up', active: 0, reserved: 0, max: 1 }, sharedState: { status: 'up', redis: 'not-configured' } },
    });

    const call = gateway.newCall();
    await call.connect();
    await gateway.simulator.nextSession(0);
    const full = await fetch(`${gateway.httpUrl}/readyz`);
    expect(full.status).toBe(503);
    expect(await full.json()).toMatchObject({ status: 'error', error: { calls: { status: 'down', reason: 'at-capacity', active: 1 } } });
    expect(await (await incomingCall(gateway)).text()).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Say>All lines are busy.</Say><Hangup/></Response>',
    );
    expect((await fetch(`${gateway.httpUrl}/healthz`)).status).toBe(200);
    // A stream beyond capacity (say its webhook was answered by another pod) is refused at its start,
    // after its token was verified, and opens no OpenAI session; without Twilio credentials there is
    // no call to redirect, so it is closed (1013).
    const extra = gateway.newCall({ webhookElsewhere: true });
    await extra.connect();
    expect(await extra.waitForClose()).toBe(1013);
    expect(gateway.simulator.sessions).toHaveLength(1);

    call.hangUp();
    await call.waitForClose();
    for (const deadline = Date.now() + 3000; Date.now() < deadline; ) {
      if ((await fetch(`${gateway.httpUrl}/readyz`)).status === 200) break;
    }
    expect((await fetch(`${gateway.httpUrl}/readyz`)).status).toBe(200);
    expect(await (await incomingCall(gateway)).text()).toContain('<Connect><Stream');
    const metrics = await scrape(gateway.httpUrl);
    expect(metricValue(metrics, 'voice_gateway_calls_refused_total', { reason: 'at-capacity' })).toBe(1);
    expect(metricValue(metrics, 'voice_gateway_calls_refused_total', { reason: 'stream-at-capacity' })).toBe(1);
    expect(metricValue(metrics, 'voice_gateway_streams_refused_total', { action: 'closed' })).toBe(1);
    expect(metricValue(metrics, 'voice_gateway_shared_state', { status: 'not-configured' })).toBe(1);
  });

  it('reserves a place at the webhook, so two webhooks at the same moment cannot both take the last one', async () => {
    gateway = await startGateway({ MAX_CONCURRENT_CALLS: '1', CALL_REFUSED_MESSAGE: 'All lines are busy.' }, { autoRespond: false });
    // Twilio asks for both calls' TwiML at once (the refused one gets no stream, so no second try).
    const candidates = ['CAfirst', 'CAsecond'].map((callSid) => gateway!.newCall({ callSid }));
    const [first, second] = await Promise.all(candidates.map((call) => call.fetchTwiml().catch(() => call.twiml!)));
    expect([first, second].filter((twiml) => twiml.includes('<Connect><Stream'))).toHaveLength(1);
    expect([first, second].filter((twiml) => twiml.includes('<Say>All lines are busy.</Say><Hangup/>'))).toHaveLength(1);
    // The reserved place already counts: not ready, and the next webhook is refused too.
    const ready = await fetch(`${gateway.httpUrl}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ error: { calls: { active: 0, reserved: 1, reason: 'at-capacity' } } });
    // The admitted call's stream takes its reserved place.
    const call = candidates.find((candidate) => candidate.twiml!.includes('<Connect>'))!;
    await call.connect();
    await gateway.simulator.nextSession(0);
    expect(await (await fetch(`${gateway.httpUrl}/readyz`)).json()).toMatchObject({ error: { calls: { active: 1, reserved: 0 } } });
    call.hangUp();
  });

  it('redirects a stream that must still be refused to the spoken refusal through Twilio, never just dropping it', async () => {
    twilioApi = await FakeTwilioRestApi.start();
    gateway = await startGateway(
      {
        MAX_CONCURRENT_CALLS: '1',
        MAX_CONCURRENT_CALLS_HEADROOM: '1',
        CALL_REFUSED_MESSAGE: 'All lines are busy.',
        TWILIO_ACCOUNT_SID: TWILIO_SID,
        TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
        TWILIO_API_BASE_URL: twilioApi.baseUrl,
      },
      { autoRespond: false },
    );
    // The first call takes this instance's one place; the other two were answered by another
    // instance's webhook and land here anyway.
    const calls = [gateway.newCall(), gateway.newCall({ webhookElsewhere: true })];
    for (const [i, call] of calls.entries()) {
      await call.connect();
      await gateway.simulator.nextSession(i); // the second is within the headroom
    }
    const overflow = gateway.newCall({ webhookElsewhere: true });
    await overflow.connect();
    const redirect = await twilioApi.waitForRequest((r) => r.path.endsWith(`/Calls/${overflow.callSid}.json`));
    expect(redirect.form.Twiml).toBe('<?xml version="1.0" encoding="UTF-8"?><Response><Say>All lines are busy.</Say><Hangup/></Response>');
    expect(gateway.simulator.sessions).toHaveLength(2);
    expect(overflow.isOpen).toBe(true); // Twilio ends the stream once it plays the refusal
    overflow.hangUp();
    await overflow.waitForClose();
    const metrics = await scrape(gateway.httpUrl);
    expect(metricValue(metrics, 'voice_gateway_streams_refused_total', { action: 'redirected' })).toBe(1);
    expect(metricValue(metrics, 'voice_gateway_calls_active')).toBe(2);
    for (const call of calls) expect(call.isOpen).toBe(true);
  });

  it('checks the stream token before admission: refused tokens never count, a valid one beyond capacity is refused politely', async () => {
    twilioApi = await FakeTwilioRestApi.start();
    gateway = await startGateway(
      {
        MAX_CONCURRENT_CALLS: '1',
        MAX_CONCURRENT_CALLS_HEADROOM: '0',
        CALL_REFUSED_MESSAGE: 'All lines are busy.',
        TWILIO_ACCOUNT_SID: TWILIO_SID,
        TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
        TWILIO_API_BASE_URL: twilioApi.baseUrl,
      },
      { autoRespond: false },
    );
    // Streams whose start carries no token, or a replayed one, at a gateway with one free place.
    const replayed = gateway.newCall();
    await replayed.fetchTwiml();
    const forged = [gateway.newCall({ webhook: false }), gateway.newCall({ webhook: false, customParameters: { StreamToken: 'st1.0.forged.mac' } })];
    for (const stream of forged) await stream.connect();
    expect(await Promise.all(forged.map((stream) => stream.waitForClose()))).toEqual([1008, 1008]);
    // None of them reached admission: the one place is free, nothing was redirected, no OpenAI session opened.
    let metrics = await scrape(gateway.httpUrl);
    expect(metricValue(metrics, 'voice_gateway_media_streams_refused_total', { reason: 'no-token' })).toBe(1);
    expect(metricValue(metrics, 'voice_gateway_media_streams_refused_total', { reason: 'malformed-token' })).toBe(1);
    expect(metricValue(metrics, 'voice_gateway_streams_refused_total', { action: 'redirected' }) ?? 0).toBe(0);
    expect(twilioApi.requests).toEqual([]);
    expect(gateway.simulator.sessions).toHaveLength(0);

    // The real call takes the place; its token, used again by another stream, is refused (1008), not redirected.
    await replayed.connect();
    await gateway.simulator.nextSession(0);
    const again = gateway.newCall({ webhook: false, callSid: replayed.callSid, accountSid: replayed.accountSid, customParameters: replayed.streamParameters });
    await again.connect();
    expect(await again.waitForClose()).toBe(1008);
    expect(twilioApi.requests).toEqual([]);

    // A valid token beyond capacity: admission refuses it politely. A Twilio call is redirected to the refusal…
    const overflow = gateway.newCall({ webhookElsewhere: true });
    await overflow.connect();
    const redirect = await twilioApi.waitForRequest((r) => r.path.endsWith(`/Calls/${overflow.callSid}.json`));
    expect(redirect.form.Twiml).toContain('<Say>All lines are busy.</Say><Hangup/>');
    // …and the softphone, which has no Twilio call, is closed with 1013.
    const phone = await softphoneCall(gateway);
    await phone.connect();
    expect(await phone.waitForClose()).toBe(1013);
    expect(gateway.simulator.sessions).toHaveLength(1);
    metrics = await scrape(gateway.httpUrl);
    expect(metricValue(metrics, 'voice_gateway_streams_refused_total', { action: 'redirected' })).toBe(1);
    expect(metricValue(metrics, 'voice_gateway_streams_refused_total', { action: 'closed' })).toBe(1);
    expect(metricValue(metrics, 'voice_gateway_media_streams_refused_total', { reason: 'already-used' })).toBe(1);
    overflow.hangUp();
  });

  it('a pre-start flood takes no capacity: sockets that never send start are closed at the timeout, real calls go on', async () => {
    gateway = await startGateway({ MAX_CONCURRENT_CALLS: '2', MEDIA_STREAM_START_TIMEOUT_MS: '800', ASSISTANT_GREETING: '' }, { autoRespond: false });
    const flood = Array.from({ length: 40 }, () => gateway!.newCall({ webhook: false }));
    await Promise.all(flood.map((socket) => socket.connect({ sendStart: false })));
    const ready = await fetch(`${gateway.httpUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ info: { calls: { active: 0, connecting: 40 } } });
    expect(await (await incomingCall(gateway)).text()).toContain('<Connect><Stream');

    const caller = gateway.newCall({ callSid: 'CA77' });
    await caller.connect();
    const session = await gateway.simulator.nextSession(0);
    await session.waitForClientEvent('session.update');
    await caller.say(mulawTone(200, 400));
    await caller.waitUntil(() => session.inputAudio().length >= 8 * 200, 3000, 'caller audio at OpenAI');
    expect((await Promise.all(flood.map((socket) => socket.waitForClose(3000)))).every((code) => code === 1008)).toBe(true);
    expect(gateway.simulator.sessions).toHaveLength(1);
    expect(caller.isOpen).toBe(true);
    await session.respond({ audio: mulawTone(200, 300) }).finished;
    await caller.waitForAudio(8 * 200);
    expect((await fetch(`${gateway.httpUrl}/readyz`)).status).toBe(200);
  });

  it('drains: not ready and refusing at once, the live call keeps flowing, then a goodbye via Twilio at the timeout', async () => {
    twilioApi = await FakeTwilioRestApi.start();
    gateway = await startGateway(
      {
        DRAIN_TIMEOUT_S: '1',
        ASSISTANT_GREETING: '',
        TWILIO_ACCOUNT_SID: TWILIO_SID,
        TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
        TWILIO_API_BASE_URL: twilioApi.baseUrl,
        DRAIN_GOODBYE_MESSAGE: 'We are closing now. Goodbye.',
      },
      { autoRespond: false },
    );
    const call = gateway.newCall();
    await call.connect();
    const session = await gateway.simulator.nextSession(0);
    await session.waitForClientEvent('session.update');

    const drainStarted = Date.now();
    const drained = gateway.app.get(CallDrainService).drain();
    expect((await fetch(`${gateway.httpUrl}/readyz`)).status).toBe(503);
    expect((await fetch(`${gateway.httpUrl}/healthz`)).status).toBe(200);
    const refused = await (await incomingCall(gateway)).text();
    expect(refused).toContain('<Say>Sorry, we cannot take your call right now.');
    expect(refused).not.toContain('<Connect>');

    // The live call still flows both ways while draining.
    const heardBefore = session.inputAudio().length;
    await call.waitUntil(() => session.inputAudio().length >= heardBefore + 160 * 10, 3000, 'caller audio during the drain');
    await session.respond({ audio: mulawTone(200, 300) }).finished;
    await call.waitForAudio(8 * 200);

    const redirect = await twilioApi.waitForRequest((r) => r.path.endsWith(`/Calls/${call.callSid}.json`), 5000);
    expect(Date.now() - drainStarted).toBeGreaterThanOrEqual(900);
    expect(redirect.form.Twiml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Say>We are closing now. Goodbye.</Say><Hangup/></Response>',
    );
    expect(call.isOpen).toBe(true);
    call.hangUp(); // what Twilio does once it follows the redirect
    await drained;
    const metrics = await scrape(gateway.httpUrl);
    expect(metricValue(metrics, 'voice_gateway_calls_drained_total', { action: 'redirected' })).toBe(1);
    expect(metricValue(metrics, 'voice_gateway_calls_refused_total', { reason: 'draining' })).toBe(1);
    expect(metricValue(metrics, 'voice_gateway_calls_active')).toBe(0);
  });

  it('without Twilio credentials, closes the remaining streams when the drain timeout passes', async () => {
    gateway = await startGateway({ DRAIN_TIMEOUT_S: '0.5' }, { autoRespond: false });
    const call = gateway.newCall();
    await call.connect();
    await gateway.simulator.nextSession(0);
    await gateway.app.get(CallDrainService).drain();
    expect(await call.waitForClose()).toBe(1001);
    expect(metricValue(await scrape(gateway.httpUrl), 'voice_gateway_calls_drained_total', { action: 'closed' })).toBe(1);
  });
});
