import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { mulawSilence, mulawTone } from '@app/simulators';
import twilio from 'twilio';
import { GatewayHarness, sleep, startGateway, TEST_OPENAI_KEY, TEST_TWILIO_AUTH_TOKEN } from '../support/gateway-harness';

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Random µ-law that the simulator's VAD hears as speech; scripted tests switch the VAD off. */
const noise = (bytes: number) => randomBytes(bytes);

describe('a call through the gateway, end to end', () => {
  let gateway: GatewayHarness | undefined;
  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
  });

  it('answers the webhook with TwiML that connects the call to the wss media stream, with a stream token minted for the call', async () => {
    gateway = await startGateway({ PUBLIC_URL: 'https://voice.example.com', TWIML_WELCOME_MESSAGE: 'Connecting you now.' });
    const form = { CallSid: 'CA0123', From: '+15551230000', To: '+15559870000', AccountSid: 'AC1' };
    const post = await gateway.postWebhook('/incoming-call', form);
    expect(post.status).toBe(200);
    expect(post.headers.get('content-type')).toMatch(/^text\/xml/);
    expect(await post.text()).toMatch(
      new RegExp(
        '^' +
          escape(
            '<?xml version="1.0" encoding="UTF-8"?><Response><Say>Connecting you now.</Say><Connect>' +
              '<Stream url="wss://voice.example.com/media-stream">' +
              '<Parameter name="From" value="+15551230000"/><Parameter name="To" value="+15559870000"/><Parameter name="CallSid" value="CA0123"/>' +
              '<Parameter name="StreamToken" value="',
          ) +
          'st1\\.\\d{10}\\.[A-Za-z0-9_-]{16}\\.[A-Za-z0-9_-]{43}' +
          escape('"/></Stream></Connect></Response>') +
          '$',
      ),
    );

    const query = 'CallSid=CA9&From=%2B1555';
    const signature = twilio.getExpectedTwilioSignature(TEST_TWILIO_AUTH_TOKEN, `https://voice.example.com/incoming-call?${query}`, {});
    const get = await fetch(`${gateway.httpUrl}/incoming-call?${query}`, { headers: { 'x-twilio-signature': signature } });
    expect(get.status).toBe(200);
    expect(await get.text()).toContain('<Parameter name="CallSid" value="CA9"/>');
  });

  it('builds the stream URL from where the request arrived, never from proxy headers unless told to trust them; omits an empty welcome', async () => {
    const spoofed = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'edge.example.org', host: 'edge.example.org' };
    const signed = (url: string, form: Record<string, string>) => ({ ...spoofed, 'x-twilio-signature': twilio.getExpectedTwilioSignature(TEST_TWILIO_AUTH_TOKEN, url, form) });
    const form = { CallSid: 'CA1' };

    gateway = await startGateway({ TWIML_WELCOME_MESSAGE: '' });
    // The headers claim edge.example.org; a signature for that host does not pass, and the TwiML points at the real address.
    const forged = await fetch(`${gateway.httpUrl}/incoming-call`, { method: 'POST', headers: signed('https://edge.example.org/incoming-call', form), body: new URLSearchParams(form) });
    expect(forged.status).toBe(403);
    const local = await fetch(`${gateway.httpUrl}/incoming-call`, { method: 'POST', headers: signed(`${gateway.httpUrl}/incoming-call`, form), body: new URLSearchParams(form) });
    const twiml = await local.text();
    expect(twiml).toContain(`<Stream url="ws://127.0.0.1:${gateway.port}/media-stream">`);
    expect(twiml).not.toContain('edge.example.org');
    expect(twiml).not.toContain('<Say>');
    await gateway.close();

    gateway = await startGateway({ TWIML_WELCOME_MESSAGE: '', TRUST_PROXY_HEADERS: 'true' });
    const trusted = await fetch(`${gateway.httpUrl}/incoming-call`, { method: 'POST', headers: signed('https://edge.example.org/incoming-call', form), body: new URLSearchParams(form) });
    expect(await trusted.text()).toContain('<Stream url="wss://edge.example.org/media-stream">');
  });

  it('opens one GA session per call, authenticated, configured for µ-law, voice, instructions, VAD, noise reduction, reasoning and transcription', async () => {
    gateway = await startGateway({
      OPENAI_VOICE: 'marin',
      ASSISTANT_INSTRUCTIONS: 'Be brief.',
      VAD_THRESHOLD: '0.6',
      VAD_PREFIX_PADDING_MS: '250',
      VAD_SILENCE_DURATION_MS: '450',
      INPUT_NOISE_REDUCTION: 'far_field',
      REASONING_EFFORT: 'medium',
      INPUT_TRANSCRIPTION_MODEL: 'gpt-live-transcribe',
      INPUT_TRANSCRIPTION_LANGUAGES: 'en',
      OPENAI_REALTIME_MODEL: 'gpt-realtime-2',
    });
    const call = gateway.newCall();
    await call.connect();
    const session = await gateway.simulator.nextSession(0);
    const update = await session.waitForClientEvent('session.update');
    expect(session.headers.authorization).toBe(`Bearer ${TEST_OPENAI_KEY}`);
    expect(session.headers['openai-beta']).toBeUndefined();
    expect(session.model).toBe('gpt-realtime-2');
    expect(update.event_id).toEqual(expect.any(String));
    expect(update.session).toEqual({
      type: 'realtime',
      model: 'gpt-realtime-2',
      output_modalities: ['audio'],
      instructions: 'Be brief.',
      audio: {
        input: {
          format: { type: 'audio/pcmu' },
          turn_detection: {
            type: 'server_vad',
            threshold: 0.6,
            prefix_padding_ms: 250,
            silence_duration_ms: 450,
            create_response: true,
            interrupt_response: true,
          },
          noise_reduction: { type: 'far_field' },
          transcription: { model: 'gpt-live-transcribe', language: 'en' },
        },
        output: { format: { type: 'audio/pcmu' }, voice: 'marin' },
      },
      reasoning: { effort: 'medium' },
      tools: expect.any(Array),
      tool_choice: 'auto',
    });
    expect(gateway.simulator.sessions).toHaveLength(1);
  });

  it('passes audio through byte-exact in both directions, in order', async () => {
    gateway = await startGateway({ ASSISTANT_GREETING: '' }, { autoRespond: false });
    const call = gateway.newCall();
    await call.connect();
    const session = await gateway.simulator.nextSession(0);
    await session.waitForClientEvent('session.update');

    await call.say(noise(160 * 25));
    const assistantAudio = noise(8 * 1300);
    await session.respond({ audio: assistantAudio, text: 'exact bytes' }).finished;
    await call.waitForAudio(assistantAudio.length);
    await sleep(60);
    call.hangUp();
    await session.waitForClose();

    expect(call.receivedAudio().equals(assistantAudio)).toBe(true);
    expect(session.inputAudio().equals(call.sentAudio())).toBe(true);
    expect(call.sentAudio().length).toBeGreaterThan(160 * 25);
    expect(call.wrongStreamSidCount).toBe(0);
  });

  it('buffers caller audio until the session is configured, then flushes it in order under µ-law', async () => {
    gateway = await startGateway({ ASSISTANT_GREETING: '' }, { autoRespond: false, configureDelayMs: 400 });
    const call = gateway.newCall();
    await call.connect();
    await call.say(noise(160 * 10));
    const session = await gateway.simulator.nextSession(0);
    await sleep(600);
    call.hangUp();
    await session.waitForClose();

    expect(session.appendsBeforeConfigured).toBe(0);
    expect(session.inputAudio().length).toBeGreaterThanOrEqual(160 * 25);
    expect(session.inputAudio().equals(call.sentAudio())).toBe(true);
  });

  it('lets the assistant speak first once the session is ready', async () => {
    gateway = await startGateway({ ASSISTANT_GREETING: 'Say hello to the caller.' }, { autoRespond: false });
    const call = gateway.newCall();
    await call.connect();
    const session = await gateway.simulator.nextSession(0);
    const create = await session.waitForClientEvent('response.create');
    const order = session.clientEvents.map((e) => e.type);
    expect(order.indexOf('session.update')).toBeLessThan(order.indexOf('response.create'));
    // The session's instructions come first: per-response instructions replace them for that response.
    expect(create.response).toEqual({ instructions: `${gateway.config.assistant.instructions}\n\nSay hello to the caller.` });
    await call.waitForAudio(8 * 500);
  });

  it('does not greet when the greeting is disabled', async () => {
    gateway = await startGateway({ ASSISTANT_GREETING: '' }, { autoRespond: false });
    const call = gateway.newCall();
    await call.connect();
    const session = await gateway.simulator.nextSession(0);
    await session.waitForClientEvent('session.update');
    await sleep(300);
    expect(session.eventsOfType('response.create')).toHaveLength(0);
    expect(call.receivedAudio().length).toBe(0);
  });

  it('handles barge-in correctly on the first, second and third turn', async () => {
    // Replies take ~2.6 s of audio at 5x real time; the caller interrupts each after ~400 ms of playback.
    gateway = await startGateway({ ASSISTANT_GREETING: 'Greet.' }, { speak: () => mulawTone(2600, 300) });
    const call = gateway.newCall();
    await call.connect();
    const session = await gateway.simulator.nextSession(0);

    for (let turn = 1; turn <= 3; turn++) {
      await call.waitUntil(() => call.isPlaying, 5000, `assistant audio on turn ${turn}`);
      const playingSince = Date.now();
      await sleep(400);
      const clearsBefore = call.clearCount;
      await call.say(Buffer.concat([mulawTone(400, 500), mulawSilence(700)]));
      await call.waitUntil(() => call.clearCount > clearsBefore, 3000, `clear on turn ${turn}`);
      const heardMs = Date.now() - playingSince;

      const truncate = await session.waitForClientEvent('conversation.item.truncate', (_e) => session.eventsOfType('conversation.item.truncate').length >= turn);
      const truncates = session.eventsOfType('conversation.item.truncate');
      expect(truncates).toHaveLength(turn);
      const cut = truncates[turn - 1];
      const sentMs = session.outputAudio(cut.item_id).length / 8;
      expect(Number.isInteger(cut.audio_end_ms)).toBe(true);
      expect(cut.audio_end_ms).toBeGreaterThan(300);
      expect(cut.audio_end_ms).toBeLessThanOrEqual(Math.min(sentMs, heardMs + 50));
      // To the ms, against what the caller had actually heard of this turn when the clear arrived.
      const heardOfTurn = (call.clears[turn - 1].heardBytes - (turn > 1 ? call.clears[turn - 2].heardBytes : 0)) / 8;
      expect(Math.abs(cut.audio_end_ms - heardOfTurn)).toBeLessThanOrEqual(20);
      expect(truncate.content_index).toBe(0);
      // Every truncate was accepted by the (strict) simulator: no error came back for it.
      await sleep(50);
    }
    expect(session.eventsOfType('conversation.item.truncate').map((e) => e.item_id)).toHaveLength(3);
    expect(new Set(session.eventsOfType('conversation.item.truncate').map((e) => e.item_id)).size).toBe(3);
    expect(session.eventsOfType('conversation.item.delete')).toHaveLength(0);
    // The strict simulator accepted every truncate (it rejects any audio_end_ms beyond what it sent).
    expect(session.sentErrors.filter((e) => e.code !== 'response_cancel_not_active')).toEqual([]);
  });

  it('neither clears nor truncates when the caller speaks after the assistant has finished', async () => {
    gateway = await startGateway({ ASSISTANT_GREETING: 'Greet.' }, { speak: () => mulawTone(300, 300), deltaIntervalMs: 5 });
    const call = gateway.newCall();
    await call.connect();
    const session = await gateway.simulator.nextSession(0);
    await call.waitForAudio(8 * 300);
    await call.waitForPlaybackEnd();
    await call.say(Buffer.concat([mulawTone(300, 500), mulawSilence(700)]));
    await session.waitForClientEvent('response.create', () => true).catch(() => undefined);
    await sleep(200);
    expect(call.clearCount).toBe(0);
    expect(session.eventsOfType('conversation.item.truncate')).toHaveLength(0);
    expect(session.eventsOfType('conversation.item.delete')).toHaveLength(0);
    expect(session.eventsOfType('response.cancel')).toHaveLength(0);
  });

  it('cuts the item at what was heard inside its first delta, cancels the response the server left running and drops its late deltas', async () => {
    gateway = await startGateway({ ASSISTANT_GREETING: '' }, { autoRespond: false, deltaMs: 500, deltaIntervalMs: 1000 });
    const call = gateway.newCall();
    await call.connect();
    const session = await gateway.simulator.nextSession(0);
    await session.waitForClientEvent('session.update');
    await sleep(50);

    // One 500 ms delta arrives and starts playing; the caller speaks 100 ms into it, long before any mark.
    const { responseId, itemId } = session.respond({ audio: noise(8 * 3000) });
    await call.waitForAudio(8 * 500);
    const before = call.receivedAudio().length;
    await sleep(100);
    // Sent by hand, so the server does not cancel the response as server VAD would.
    session.send({ type: 'input_audio_buffer.speech_started', audio_start_ms: 0, item_id: 'item_caller' });
    // A delta of the interrupted response already in flight behind speech_started must not reach the caller.
    const lateDelta = { type: 'response.output_audio.delta', response_id: responseId, item_id: itemId, output_index: 0, content_index: 0, delta: noise(800).toString('base64') };
    session.send(lateDelta);
    await call.waitUntil(() => call.clearCount === 1, 2000, 'clear');
    const cut = await session.waitForClientEvent('conversation.item.truncate');
    expect(cut.item_id).toBe(itemId);
    // Not deleted: what the caller heard of the first delta is kept, to the ms.
    expect(Math.abs(cut.audio_end_ms - call.clears[0].heardBytes / 8)).toBeLessThanOrEqual(20);
    expect(session.eventsOfType('conversation.item.delete')).toEqual([]);
    // The server had its chance to cancel and did not: the gateway does.
    const cancel = await session.waitForClientEvent('response.cancel');
    expect(cancel.response_id).toBe(responseId);

    // Even one that straggles in after the cancellation is dropped.
    await session.waitForClientEvent('response.cancel');
    session.send(lateDelta);
    await sleep(100);
    expect(call.receivedAudio().length).toBe(before);

    // The next response plays normally.
    await session.respond({ audio: noise(8 * 200) }).finished;
    await call.waitForAudio(before + 8 * 200);
  });

  it('closes the OpenAI session within a second of the caller hanging up', async () => {
    gateway = await startGateway({}, { autoRespond: false });
    const call = gateway.newCall();
    await call.connect();
    const session = await gateway.simulator.nextSession(0);
    await session.waitForClientEvent('session.update');
    const hungUpAt = Date.now();
    call.hangUp();
    await session.waitForClose(1000);
    expect(Date.now() - hungUpAt).toBeLessThan(1000);
  });

  it('closes the OpenAI session when the Twilio socket drops without stop', async () => {
    gateway = await startGateway({}, { autoRespond: false });
    const call = gateway.newCall();
    await call.connect();
    const session = await gateway.simulator.nextSession(0);
    await session.waitForClientEvent('session.update');
    call.drop();
    await session.waitForClose(1000);
  });

  it('ends the call when OpenAI closes the session and reconnects are switched off', async () => {
    gateway = await startGateway({ ASSISTANT_GREETING: '', OPENAI_MAX_RECONNECTS_PER_CALL: '0' }, { autoRespond: false });
    const call = gateway.newCall();
    await call.connect();
    const session = await gateway.simulator.nextSession(0);
    await session.waitForClientEvent('session.update');
    session.closeFromServer(1011, 'server error');
    expect(await call.waitForClose(2000)).toBe(1011);
  });

  it('keeps two concurrent calls apart', async () => {
    gateway = await startGateway({ ASSISTANT_GREETING: '' }, { autoRespond: false });
    const first = gateway.newCall({ customParameters: { From: '+1000' } });
    const second = gateway.newCall({ customParameters: { From: '+2000' } });
    await Promise.all([first.connect(), second.connect()]);
    const sessions = await Promise.all([gateway.simulator.nextSession(0), gateway.simulator.nextSession(1)]);
    await Promise.all(sessions.map((s) => s.waitForClientEvent('session.update')));
    await Promise.all([first.say(noise(160 * 20)), second.say(noise(160 * 20))]);

    const firstAudio = noise(8 * 400);
    const secondAudio = noise(8 * 600);
    // Sessions connect in an arbitrary order: find each call's session by its caller audio.
    await sleep(100);
    const sessionOf = (sent: Buffer) => sessions.find((s) => s.inputAudio().subarray(0, 1600).equals(sent.subarray(0, 1600)))!;
    const firstSession = sessionOf(first.sentAudio());
    const secondSession = sessionOf(second.sentAudio());
    expect(firstSession).toBeDefined();
    expect(secondSession).toBeDefined();
    expect(firstSession).not.toBe(secondSession);

    await Promise.all([firstSession.respond({ audio: firstAudio }).finished, secondSession.respond({ audio: secondAudio }).finished]);
    await Promise.all([first.waitForAudio(firstAudio.length), second.waitForAudio(secondAudio.length)]);
    expect(first.receivedAudio().equals(firstAudio)).toBe(true);
    expect(second.receivedAudio().equals(secondAudio)).toBe(true);

    first.hangUp();
    await firstSession.waitForClose();
    await sleep(100);
    expect(secondSession.isOpen).toBe(true);
    expect(second.isOpen).toBe(true);
    second.hangUp();
    await secondSession.waitForClose();
    first.sentAudio();
    expect(firstSession.inputAudio().equals(first.sentAudio())).toBe(true);
    expect(secondSession.inputAudio().equals(second.sentAudio())).toBe(true);
  });

  it('nudges a silent caller, then says goodbye and hangs up', async () => {
    gateway = await startGateway({ ASSISTANT_GREETING: '', CALLER_IDLE_TIMEOUT_S: '1' }, { speak: () => mulawTone(300, 300) });
    const call = gateway.newCall();
    await call.connect();
    const session = await gateway.simulator.nextSession(0);
    const nudge = await session.waitForClientEvent('response.create', (e) => /still there/.test(e.response?.instructions ?? ''), 5000);
    expect(nudge).toBeDefined();
    await session.waitForClientEvent('response.create', (e) => /goodbye/.test(e.response?.instructions ?? ''), 5000);
    expect(await call.waitForClose(8000)).toBe(1000);
    // Both were spoken to the caller before the line closed.
    expect(call.receivedAudio().length).toBe(2 * 8 * 300);
    expect(call.echoedMarks.every((mark) => !mark.cleared)).toBe(true);
  });

  it('survives malformed and unexpected frames without losing the call', async () => {
    gateway = await startGateway({ ASSISTANT_GREETING: '' }, { autoRespond: false });
    const call = gateway.newCall();
    await call.connect();
    const session = await gateway.simulator.nextSession(0);
    await session.waitForClientEvent('session.update');
    call.sendRaw(Buffer.from([1, 2, 3]));
    call.sendRaw('not json at all');
    call.sendRaw('{"event":"surprise"}');
    call.sendRaw('null');
    call.sendRaw('{"event":"media","streamSid":"MZ-other","media":{"payload":"AAAA"}}');
    call.sendDtmf('5');
    const audio = noise(8 * 200);
    await session.respond({ audio }).finished;
    await call.waitForAudio(audio.length);
    expect(call.isOpen).toBe(true);
    call.hangUp();
    await session.waitForClose();
    expect(session.inputAudio().equals(call.sentAudio())).toBe(true);
  });
});
