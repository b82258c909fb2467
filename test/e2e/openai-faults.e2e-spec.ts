import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cutAtWord } from '@app/realtime';
import { FakeTwilioCall, FakeTwilioRestApi, RealtimeSimulatorOptions, SimulatedSession } from '@app/simulators';
import { GatewayHarness, startGateway } from '../support/gateway-harness';
import { expectNothingLeaked } from '../support/leak-check';

/** Random µ-law that the simulator's VAD hears as speech. */
const noise = (bytes: number) => randomBytes(bytes);
const ACCOUNT_SID = 'AC' + 'a'.repeat(32);
const AUTH_TOKEN = 'test-auth-token-0123456789';

/** Waits until the session has no response in flight and has sent more than `afterBytes` of audio. */
async function responseFinished(call: FakeTwilioCall, session: SimulatedSession, afterBytes: number): Promise<number> {
  await call.waitUntil(() => session.outputAudio().length > afterBytes && session.activeResponseId === undefined, 8000, 'a finished response');
  return session.outputAudio().length;
}

describe('calls that survive OpenAI failures', () => {
  let gateway: GatewayHarness | undefined;
  let rest: FakeTwilioRestApi;

  beforeEach(async () => {
    rest = await FakeTwilioRestApi.start();
  });
  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
    await rest.close();
  });

  const start = (env: Record<string, string> = {}, simulator: RealtimeSimulatorOptions = {}) =>
    startGateway(
      {
        TWILIO_ACCOUNT_SID: ACCOUNT_SID,
        TWILIO_AUTH_TOKEN: AUTH_TOKEN,
        TWILIO_VALIDATE_SIGNATURES: 'false',
        TWILIO_API_BASE_URL: rest.baseUrl,
        ...env,
      },
      simulator,
    );

  const fallbackRequest = (call: FakeTwilioCall) =>
    rest.waitForRequest((r) => r.path === `/2010-04-01/Accounts/${ACCOUNT_SID}/Calls/${call.callSid}.json`, 8000);

  it('reconnects after the OpenAI socket drops mid-call, replays the conversation and carries on', async () => {
    gateway = await start({ OPENAI_CONNECT_ATTEMPTS: '2' });
    const call = gateway.newCall();
    await call.connect();
    const first = await gateway.simulator.nextSession(0);
    let sent = await responseFinished(call, first, 0); // the greeting
    await call.say(noise(8 * 400));
    sent = await responseFinished(call, first, sent); // the answer to the caller's turn
    await call.waitForAudio(sent);

    first.closeFromServer(1011, 'internal error');
    const second = await gateway.simulator.nextSession(1);
    const update = await second.waitForClientEvent('session.update');
    expect(update.session).toEqual(first.eventsOfType('session.update')[0].session);
    await call.waitUntil(() => second.eventsOfType('conversation.item.create').length === 3, 3000, 'the replayed conversation');
    const replayed = second.eventsOfType('conversation.item.create').map((e) => [e.item.role, e.item.content[0].type, e.item.content[0].text]);
    // The caller spoke over the greeting: the new session is told only what they heard of it.
    const greeting = 'Hello! This is the simulated assistant. How can I help you today?';
    const cut = first.eventsOfType('conversation.item.truncate')[0];
    expect(cut).toBeDefined();
    const heardGreeting = cutAtWord(greeting, cut.audio_end_ms / (first.outputAudio(cut.item_id).length / 8));
    expect(heardGreeting.length).toBeGreaterThan(0);
    expect(heardGreeting.length).toBeLessThan(greeting.length);
    expect(replayed).toEqual([
      ['assistant', 'output_text', heardGreeting],
      ['user', 'input_text', expect.stringMatching(/^\(simulated caller turn \d: [\d.]+ s of speech\)$/)],
      ['assistant', 'output_text', expect.stringMatching(/^This is simulated reply number \d\.$/)],
    ]);
    // The assistant owed nothing, so it waits for the caller; the greeting is not repeated.
    expect(second.eventsOfType('response.create')).toEqual([]);

    const heard = call.receivedAudio().length;
    await call.say(noise(8 * 400));
    await call.waitForAudio(heard + 8 * 200, 8000);
    expect(call.isOpen).toBe(true);
    expect(rest.requests).toEqual([]);

    call.hangUp();
    await expectNothingLeaked(gateway);
  });

  it('rolls over to a fresh session on session_expired, transparently', async () => {
    gateway = await start();
    const call = gateway.newCall();
    await call.connect();
    const first = await gateway.simulator.nextSession(0);
    await responseFinished(call, first, 0);
    first.expire();
    const second = await gateway.simulator.nextSession(1);
    await second.waitForClientEvent('conversation.item.create');
    await call.waitUntil(() => second.eventsOfType('conversation.item.create').length === 1, 2000, 'the replay');
    const heard = call.receivedAudio().length;
    await call.say(noise(8 * 400));
    await call.waitForAudio(heard + 8 * 200, 8000);
    expect(call.isOpen).toBe(true);
    expect(gateway.simulator.sessions).toHaveLength(2);
    call.hangUp();
    await expectNothingLeaked(gateway);
  });

  it('asks the fresh session to answer when the drop cut off a response', async () => {
    gateway = await start({ ASSISTANT_GREETING: '' }, { autoRespond: false, deltaIntervalMs: 100 });
    const call = gateway.newCall();
    await call.connect();
    const first = await gateway.simulator.nextSession(0);
    await first.waitForClientEvent('session.update');
    await call.waitUntil(() => first.isOpen && first.config.audio?.input?.format?.type === 'audio/pcmu', 2000, 'configured');
    first.stopSpeech({ transcript: 'What time is it?', respond: true });
    await call.waitForAudio(1);
    first.closeFromServer(1011, 'gone');
    const second = await gateway.simulator.nextSession(1);
    await second.waitForClientEvent('response.create');
    expect(second.eventsOfType('conversation.item.create').map((e) => e.item.content[0].text)).toEqual(['What time is it?']);
    const heard = call.receivedAudio().length;
    await call.waitForAudio(heard + 8 * 200, 8000);
    call.hangUp();
    await expectNothingLeaked(gateway);
  });

  it('tolerates benign errors without reconnecting', async () => {
    gateway = await start();
    const call = gateway.newCall();
    await call.connect();
    const session = await gateway.simulator.nextSession(0);
    let sent = await responseFinished(call, session, 0);
    session.sendError('invalid_request_error', 'response_cancel_not_active', 'Cancellation failed: no active response found');
    session.sendError('invalid_request_error', 'conversation_already_has_active_response', 'Conversation already has an active response');
    session.sendError('invalid_request_error', 'invalid_value', 'Something we sent was wrong.');
    await call.say(noise(8 * 400));
    sent = await responseFinished(call, session, sent);
    await call.waitForAudio(sent);
    expect(session.isOpen).toBe(true);
    expect(gateway.simulator.sessions).toHaveLength(1);
    expect(call.isOpen).toBe(true);
    call.hangUp();
    await expectNothingLeaked(gateway);
  });

  it('recovers from a server_error by reconnecting', async () => {
    gateway = await start();
    const call = gateway.newCall();
    await call.connect();
    const first = await gateway.simulator.nextSession(0);
    await responseFinished(call, first, 0);
    first.sendError('server_error', 'server_error', 'The server had an error while processing your request.');
    const second = await gateway.simulator.nextSession(1);
    await second.waitForClientEvent('session.update');
    await first.waitForClose();
    expect(call.isOpen).toBe(true);
    call.hangUp();
    await expectNothingLeaked(gateway);
  });

  it('retries a refused connect and answers the call once OpenAI accepts', async () => {
    gateway = await start({ OPENAI_CONNECT_ATTEMPTS: '3' });
    gateway.simulator.refuseConnections(503);
    const call = gateway.newCall();
    await call.connect();
    await call.waitUntil(() => gateway!.simulator.refusedHandshakes >= 1, 3000, 'a refused handshake');
    gateway.simulator.refuseConnections(undefined);
    const session = await gateway.simulator.nextSession(0);
    await responseFinished(call, session, 0);
    await call.waitForAudio(session.outputAudio().length);
    expect(rest.requests).toEqual([]);
    // Caller audio from the refused tries was held and reached OpenAI in order, from the first frame.
    const received = session.inputAudio();
    expect(received.length).toBeGreaterThan(8 * 200);
    expect(received.equals(call.sentAudio().subarray(0, received.length))).toBe(true);
    call.hangUp();
    await expectNothingLeaked(gateway);
  });

  it('redirects the caller to an apology and the fallback number when OpenAI keeps refusing', async () => {
    gateway = await start({ OPENAI_CONNECT_ATTEMPTS: '2', FALLBACK_PHONE_NUMBER: '+15557654321', FALLBACK_MESSAGE: 'Sorry, transferring you.' });
    gateway.simulator.refuseConnections(503);
    const call = gateway.newCall();
    await call.connect();
    const request = await fallbackRequest(call);
    expect(request.method).toBe('POST');
    expect(request.basicAuth).toBe(`${ACCOUNT_SID}:${AUTH_TOKEN}`);
    expect(request.form.Twiml).toBe('<?xml version="1.0" encoding="UTF-8"?><Response><Say>Sorry, transferring you.</Say><Dial>+15557654321</Dial></Response>');
    expect(gateway.simulator.refusedHandshakes).toBe(2);
    expect(await call.waitForClose(3000)).toBe(1011);
    await expectNothingLeaked(gateway, 1);
  });

  it('times out a session that answers too slowly, then apologises and hangs up', async () => {
    gateway = await start({ OPENAI_CONNECT_TIMEOUT_MS: '300', OPENAI_CONNECT_ATTEMPTS: '2' }, { configureDelayMs: 1500 });
    const call = gateway.newCall();
    await call.connect();
    const request = await fallbackRequest(call);
    expect(request.form.Twiml).toBe('<?xml version="1.0" encoding="UTF-8"?><Response><Say>Sorry, our assistant is having trouble right now.</Say><Hangup/></Response>');
    expect(gateway.simulator.sessions).toHaveLength(2);
    await call.waitForClose(3000);
    await expectNothingLeaked(gateway, 1);
  });

  it('tolerates a slow session start within the connect timeout', async () => {
    gateway = await start({ OPENAI_CONNECT_TIMEOUT_MS: '3000' }, { configureDelayMs: 400 });
    const call = gateway.newCall();
    await call.connect();
    const session = await gateway.simulator.nextSession(0);
    await responseFinished(call, session, 0);
    expect(gateway.simulator.sessions).toHaveLength(1);
    expect(rest.requests).toEqual([]);
    call.hangUp();
    await expectNothingLeaked(gateway);
  });

  it('gives up on a fatal error at once and falls back', async () => {
    gateway = await start();
    const call = gateway.newCall();
    await call.connect();
    const session = await gateway.simulator.nextSession(0);
    await responseFinished(call, session, 0);
    session.sendError('invalid_request_error', 'insufficient_quota', 'You exceeded your current quota.');
    await fallbackRequest(call);
    await call.waitForClose(3000);
    expect(gateway.simulator.sessions).toHaveLength(1);
    await expectNothingLeaked(gateway, 1);
  });

  it('falls back after the bounded number of reconnects, and ends the call if Twilio refuses the redirect', async () => {
    gateway = await start({ OPENAI_MAX_RECONNECTS_PER_CALL: '1' });
    rest.failWith({ status: 404, code: 20404, message: 'The requested resource was not found' });
    const call = gateway.newCall();
    await call.connect();
    const first = await gateway.simulator.nextSession(0);
    await call.waitUntil(() => first.inputAudio().length > 0, 3000, 'the first session to be ready');
    first.closeFromServer(1011, 'one');
    const second = await gateway.simulator.nextSession(1);
    await second.waitForClientEvent('session.update');
    // Caller audio reaches a session only once the gateway has seen it configured.
    await call.waitUntil(() => second.inputAudio().length > 0, 3000, 'the second session to be ready');
    second.closeFromServer(1011, 'two');
    await fallbackRequest(call);
    expect(await call.waitForClose(3000)).toBe(1011);
    expect(gateway.simulator.sessions).toHaveLength(2);
    await expectNothingLeaked(gateway, 1);
  });
});
