import twilio from 'twilio';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CallRecord } from '@app/call-records';
import { CALL_RECORDING_ERASER } from '@app/call-records';
import type { CallRecordingEraser } from '@app/call-records';
import { FakeTwilioRestApi } from '@app/simulators';
import type { FakeTwilioCall, RecordedTwilioRequest, SimulatedSession } from '@app/simulators';
import { GatewayEnvironment, GatewayHarness, sleep, startGateway, TEST_API_KEY, TEST_TWILIO_AUTH_TOKEN } from '../support/gateway-harness';
import { expectCallFlowing, startLiveCall } from '../support/live-call';
import { completedRecord } from '../support/call-records-api';
import { scrape } from '../support/prometheus';

const ACCOUNT_SID = 'AC' + 'fedcba9876543210'.repeat(2);
const SIGNED = { authToken: TEST_TWILIO_AUTH_TOKEN };
const MESSAGE = 'Hi {{name}}, this is Acme Dental about your appointment on Friday. Please call us back.';

/**
 * Outbound calls that reach an answering machine (Twilio's asynchronous AMD, or the model's own
 * judgement) and recorded calls, end to end: the real gateway, the fake Twilio REST API (which sends
 * Twilio's callbacks, signed) and the OpenAI simulator.
 */
describe('voicemail detection and drop, call recording', () => {
  let gateway: GatewayHarness | undefined;
  let twilioApi: FakeTwilioRestApi | undefined;
  afterEach(async () => {
    await gateway?.close();
    await twilioApi?.close();
    gateway = undefined;
    twilioApi = undefined;
  });

  async function start(env: GatewayEnvironment): Promise<GatewayHarness> {
    twilioApi = await FakeTwilioRestApi.start();
    gateway = await startGateway(
      {
        TWILIO_ACCOUNT_SID: ACCOUNT_SID,
        TWILIO_API_BASE_URL: twilioApi.baseUrl,
        TWILIO_PHONE_NUMBER: '+14155550199',
        ASSISTANT_GREETING: 'Greet the person you called.',
        ...env,
      },
      {
        // The assistant's words: what the tests recognise in the audio and the transcript.
        reply: ({ instructions, turn }) =>
          instructions?.includes('answering machine') ? 'Voicemail message for Ada.' : instructions ? 'Hello, this is Acme Dental calling.' : `Reply ${turn}.`,
      },
    );
    return gateway;
  }

  /** POST /calls, then Twilio answers: its webhook, then the stream. */
  async function placeAndAnswer(profile: string): Promise<{ callSid: string; create: RecordedTwilioRequest; call: FakeTwilioCall; session: SimulatedSession }> {
    const response = await fetch(`${gateway!.httpUrl}/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_API_KEY}` },
      body: JSON.stringify({ to: '+14155550123', profile, variables: { name: 'Ada' } }),
    });
    expect(response.status).toBe(201);
    const { callSid } = (await response.json()) as { callSid: string };
    const create = await twilioApi!.waitForRequest((r) => r.path.endsWith('/Calls.json'));
    const { call, session } = await startLiveCall(gateway!, {
      callSid,
      accountSid: ACCOUNT_SID,
      webhookUrl: create.form.Url as string,
      customParameters: { From: '+14155550199', To: '+14155550123' },
    });
    return { callSid, create, call, session };
  }

  const completions = (callSid: string) => twilioApi!.requests.filter((r) => r.path.endsWith(`/Calls/${callSid}.json`));

  const record = (callSid: string): Promise<CallRecord> => completedRecord(gateway!, callSid, TEST_API_KEY);

  const profiles = (voicemail: Record<string, unknown>) =>
    JSON.stringify({ reminders: { instructions: 'Remind {{name}} of the appointment.', voicemail: { message: MESSAGE, ...voicemail } } });

  it('a greeting longer than the hold: the assistant that started speaking over it is cut at the beep, and only the message follows', async () => {
    await start({ ASSISTANT_PROFILES: profiles({ detection: 'twilio', action: 'leave-message', speak: 'assistant' }), VOICEMAIL_GREETING_HOLD_MS: '300' });
    const { callSid, call, session } = await placeAndAnswer('reminders');
    // No verdict within the hold (DetectMessageEnd reports a machine only at its beep): the greeting goes out.
    await session.waitForClientEvent('response.create');
    await call.waitForAudio(1, 5000);
    let heardAtClear = -1;
    let playedAtClear = -1;
    call.once('clear', () => {
      heardAtClear = call.receivedAudio().length;
      playedAtClear = call.heardBytes();
    });

    expect(await twilioApi!.sendAnsweredBy(callSid, 'machine_end_beep', SIGNED)).toBe(204);
    await call.waitUntil(() => heardAtClear >= 0, 5000, 'the greeting to be cut');
    const turn = await session.waitForClientEvent('response.create', (e) => e.response?.instructions?.includes('Please call us back.'));
    expect(turn).toBeDefined();
    await call.waitForClose(15000);
    // The greeting was cut where the machine had heard it; after the cut the line carried the message alone.
    const cut = session.eventsOfType('conversation.item.truncate')[0];
    const greeting = session.outputAudio(cut.item_id);
    expect(heardAtClear).toBeLessThan(greeting.length);
    expect(Math.abs(cut.audio_end_ms - playedAtClear / 8)).toBeLessThanOrEqual(20);
    expect(call.receivedAudio().subarray(heardAtClear).equals(session.outputAudio().subarray(greeting.length))).toBe(true);
    const stored = await record(callSid);
    expect(stored).toMatchObject({ answeredBy: 'machine_end_beep', voicemailLeft: true, endReason: 'voicemail-left' });
    expect(stored.transcript.filter((t) => t.role === 'assistant').at(-1)?.text).toBe('Voicemail message for Ada.');
  });

  it("an answering machine: silent through its greeting, the assistant's message after the beep, heard, then the call is hung up", async () => {
    await start({ ASSISTANT_PROFILES: profiles({ detection: 'twilio', action: 'leave-message', speak: 'assistant' }), VOICEMAIL_GREETING_HOLD_MS: '10000' });
    const { callSid, create, call, session } = await placeAndAnswer('reminders');
    // Twilio is asked for asynchronous detection that waits for the end of the greeting, reporting to the gateway.
    expect(create.form).toMatchObject({
      MachineDetection: 'DetectMessageEnd',
      AsyncAmd: 'true',
      AsyncAmdStatusCallback: `${gateway!.httpUrl}/twilio/amd-status`,
      AsyncAmdStatusCallbackMethod: 'POST',
    });

    // The greeting waits for Twilio's verdict.
    await sleep(300);
    expect(session.eventsOfType('response.create')).toEqual([]);

    // An unsigned verdict is refused.
    const unsigned = await fetch(`${gateway!.httpUrl}/twilio/amd-status`, { method: 'POST', body: new URLSearchParams({ CallSid: callSid, AnsweredBy: 'machine_end_beep' }) });
    expect(unsigned.status).toBe(403);
    // Signed, but for another Twilio account: refused too.
    const amdUrl = `${gateway!.httpUrl}/twilio/amd-status`;
    const foreign = { AccountSid: 'AC' + 'f'.repeat(32), CallSid: callSid, AnsweredBy: 'machine_end_beep' };
    const otherAccount = await fetch(amdUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilio.getExpectedTwilioSignature(TEST_TWILIO_AUTH_TOKEN, amdUrl, foreign) },
      body: new URLSearchParams(foreign),
    });
    expect(otherAccount.status).toBe(403);
    // The call status callback checks the account as well.
    const statusUrl = `${gateway!.httpUrl}/twilio/call-status`;
    const foreignStatus = { AccountSid: 'AC' + 'f'.repeat(32), CallSid: callSid, CallStatus: 'completed', CallDuration: '1' };
    const otherAccountStatus = await fetch(statusUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilio.getExpectedTwilioSignature(TEST_TWILIO_AUTH_TOKEN, statusUrl, foreignStatus) },
      body: new URLSearchParams(foreignStatus),
    });
    expect(otherAccountStatus.status).toBe(403);

    expect(await twilioApi!.sendAnsweredBy(callSid, 'machine_start', SIGNED)).toBe(204);
    // The machine's greeting ends a "turn": whatever the model starts saying to it is cancelled, unheard.
    session.startSpeech();
    session.stopSpeech({ respond: true });
    await session.waitForClientEvent('response.cancel');
    await sleep(200);
    expect(call.receivedAudio().length).toBe(0);

    // The beep: the assistant leaves the profile's message, with the call's variables.
    expect(await twilioApi!.sendAnsweredBy(callSid, 'machine_end_beep', SIGNED)).toBe(204);
    const turn = await session.waitForClientEvent('response.create');
    expect(turn.response.instructions).toContain('Hi "Ada", this is Acme Dental about your appointment on Friday. Please call us back.');
    expect(turn.response.instructions).toContain('Remind "Ada" of the appointment.');
    const message = session.outputAudio();
    await vi.waitFor(() => expect(session.outputAudio().length).toBeGreaterThan(0), { timeout: 5000 });

    // Hung up through Twilio once the message has been heard (every byte of it played).
    const completed = await twilioApi!.waitForRequest((r) => r.path.endsWith(`/Calls/${callSid}.json`) && r.form.Status === 'completed', 15000);
    expect(call.receivedAudio().length).toBeGreaterThan(message.length);
    expect(call.heardBytes()).toBe(call.receivedAudio().length);
    expect(completed.at).toBeGreaterThanOrEqual(call.echoedMarks.at(-1)!.at);
    await call.waitForClose();

    const stored = await record(callSid);
    expect(stored).toMatchObject({ direction: 'outbound', answeredBy: 'machine_end_beep', machineDetectedBy: 'twilio', voicemailLeft: true, endReason: 'voicemail-left' });
    // What the model began to say to the machine was never heard: not in the record, and deleted from the conversation.
    expect(stored.transcript.filter((t) => t.role === 'assistant').map((t) => t.text)).toEqual(['Voicemail message for Ada.']);
    expect(session.eventsOfType('conversation.item.delete')).toHaveLength(1);
    expect(await scrape(gateway!.httpUrl)).toMatch(/voice_gateway_voicemail_drops_total\{outcome="left"\} 1/);
  });

  it('a person answers: the held greeting goes out at once', async () => {
    await start({ ASSISTANT_PROFILES: profiles({ detection: 'twilio' }), VOICEMAIL_GREETING_HOLD_MS: '10000' });
    const { callSid, call, session } = await placeAndAnswer('reminders');
    await sleep(200);
    expect(session.eventsOfType('response.create')).toEqual([]);
    await twilioApi!.sendAnsweredBy(callSid, 'human', SIGNED);
    const greeting = await session.waitForClientEvent('response.create');
    expect(greeting.response.instructions).toContain('Greet the person you called.');
    await call.waitForAudio(800);
    await vi.waitFor(() => expect(session.activeResponseId).toBeUndefined(), { timeout: 5000 });
    await expectCallFlowing({ call, session });
    expect(completions(callSid)).toEqual([]);
    call.hangUp();
    expect(await record(callSid)).toMatchObject({ answeredBy: 'human', voicemailLeft: false, endReason: 'caller-hung-up' });
  });

  it("a verdict that comes before the call's stream has started reaches the call once it does", async () => {
    await start({ ASSISTANT_PROFILES: profiles({ detection: 'twilio' }), VOICEMAIL_GREETING_HOLD_MS: '10000' });
    const response = await fetch(`${gateway!.httpUrl}/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_API_KEY}` },
      body: JSON.stringify({ to: '+14155550123', profile: 'reminders', variables: { name: 'Ada' } }),
    });
    const { callSid } = (await response.json()) as { callSid: string };
    const create = await twilioApi!.waitForRequest((r) => r.path.endsWith('/Calls.json'));
    expect(await twilioApi!.sendAnsweredBy(callSid, 'human', SIGNED)).toBe(204);
    await sleep(300);
    const { session } = await startLiveCall(gateway!, { callSid, accountSid: ACCOUNT_SID, webhookUrl: create.form.Url as string });
    // Well before the 10 s hold: the verdict was held for the call and delivered when its stream started.
    const greeting = await session.waitForClientEvent('response.create', () => true, 3000);
    expect(greeting.response.instructions).toContain('Greet the person you called.');
  });

  it('without a verdict in time the greeting goes out anyway (a person says "hello" first)', async () => {
    await start({ ASSISTANT_PROFILES: profiles({ detection: 'twilio' }), VOICEMAIL_GREETING_HOLD_MS: '400' });
    const { session } = await placeAndAnswer('reminders');
    const greeting = await session.waitForClientEvent('response.create', () => true, 3000);
    expect(greeting.response.instructions).toContain('Greet the person you called.');
  });

  it('`hang-up`: the machine is hung up on at the beep, without a message', async () => {
    await start({ ASSISTANT_PROFILES: profiles({ detection: 'both', action: 'hang-up' }), VOICEMAIL_GREETING_HOLD_MS: '10000' });
    const { callSid, call, session } = await placeAndAnswer('reminders');
    await twilioApi!.sendAnsweredBy(callSid, 'machine_start', SIGNED);
    await twilioApi!.sendAnsweredBy(callSid, 'machine_end_silence', SIGNED);
    await twilioApi!.waitForRequest((r) => r.path.endsWith(`/Calls/${callSid}.json`) && r.form.Status === 'completed');
    await call.waitForClose();
    expect(session.eventsOfType('response.create')).toEqual([]);
    expect(call.receivedAudio().length).toBe(0);
    expect(await record(callSid)).toMatchObject({ answeredBy: 'machine_end_silence', voicemailLeft: false, endReason: 'answering-machine' });
    expect(await scrape(gateway!.httpUrl)).toMatch(/voice_gateway_voicemail_drops_total\{outcome="hung-up"\} 1/);
  });

  it("`say`: Twilio says the message (<Say>, then <Hangup>) through the REST API", async () => {
    await start({ ASSISTANT_PROFILES: profiles({ detection: 'twilio', speak: 'say' }), VOICEMAIL_GREETING_HOLD_MS: '10000' });
    const { callSid, call, session } = await placeAndAnswer('reminders');
    await twilioApi!.sendAnsweredBy(callSid, 'machine_start', SIGNED);
    await twilioApi!.sendAnsweredBy(callSid, 'machine_end_beep', SIGNED);
    const redirect = await twilioApi!.waitForRequest((r) => r.path.endsWith(`/Calls/${callSid}.json`) && typeof r.form.Twiml === 'string');
    expect(redirect.form.Twiml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Say>Hi Ada, this is Acme Dental about your appointment on Friday. Please call us back.</Say><Hangup/></Response>',
    );
    await call.waitForClose();
    expect(session.eventsOfType('response.create')).toEqual([]);
    expect(await record(callSid)).toMatchObject({ answeredBy: 'machine_end_beep', voicemailLeft: true, endReason: 'voicemail-left' });
  });

  it('the model\'s judgement (voicemail_detected) drops the voicemail the same way; the tool is offered only to such calls', async () => {
    await start({ ASSISTANT_PROFILES: profiles({ detection: 'model' }) });
    const { callSid, call, session } = await placeAndAnswer('reminders');
    const tools = (session.config.tools as Array<{ name: string }>).map((t) => t.name);
    expect(tools).toContain('voicemail_detected');
    // No Twilio detection asked for.
    expect(twilioApi!.requests[0].form.AsyncAmd).toBeUndefined();
    // The greeting goes out at once (no verdict to wait for); the model then recognises the machine.
    await session.waitForClientEvent('response.create');
    await vi.waitFor(() => expect(session.activeResponseId).toBeUndefined(), { timeout: 5000 });
    session.callFunction('voicemail_detected', {});
    const turn = await session.waitForClientEvent('response.create', (e) => String(e.response?.instructions).includes('answering machine'));
    expect(turn.response.instructions).toContain('Hi "Ada", this is Acme Dental');
    await twilioApi!.waitForRequest((r) => r.path.endsWith(`/Calls/${callSid}.json`) && r.form.Status === 'completed', 15000);
    await call.waitForClose();
    const stored = await record(callSid);
    expect(stored).toMatchObject({ machineDetectedBy: 'model', voicemailLeft: true, endReason: 'voicemail-left' });
    expect(stored.answeredBy).toBeUndefined();
    expect(stored.toolCalls.map((t) => t.name)).toEqual(['voicemail_detected']);

    // An inbound call of the same gateway is not offered the tool.
    const inbound = await startLiveCall(gateway!);
    expect((inbound.session.config.tools as Array<{ name: string }>).map((t) => t.name)).not.toContain('voicemail_detected');
  });

  it('a recorded call: the disclosure before the stream, a dual-channel recording from its start, the callback stored on the record, the recording erasable', async () => {
    await start({
      ASSISTANT_GREETING: '',
      ASSISTANT_PROFILES: JSON.stringify({ support: { numbers: ['+14155550111'], recording: { enabled: true, disclosure: 'This call is recorded for quality.' } } }),
    });
    const { call, session } = await startLiveCall(gateway!, { customParameters: { From: '+14155550100', To: '+14155550111' } });
    expect(call.twiml).toMatch(/<Say>This call is recorded for quality\.<\/Say><Connect>/);
    const started = await twilioApi!.waitForRequest((r) => r.path.endsWith(`/Calls/${call.callSid}/Recordings.json`));
    expect(started.form).toMatchObject({
      RecordingChannels: 'dual',
      RecordingStatusCallback: `${gateway!.httpUrl}/twilio/recording-status`,
      RecordingStatusCallbackMethod: 'POST',
      RecordingStatusCallbackEvent: ['completed', 'absent'],
    });
    await expectCallFlowing({ call, session });
    call.hangUp();
    const live = await record(call.callSid);
    const sid = twilioApi!.recordings[0].sid;
    expect(live.recording).toMatchObject({ sid, channels: 2, status: 'in-progress' });

    // Twilio's callback comes after the call ended; unsigned, it is refused.
    const unsigned = await fetch(`${gateway!.httpUrl}/twilio/recording-status`, {
      method: 'POST',
      body: new URLSearchParams({ CallSid: call.callSid, RecordingSid: sid, RecordingStatus: 'completed', RecordingUrl: 'https://evil.example/x' }),
    });
    expect(unsigned.status).toBe(403);
    expect(await twilioApi!.sendRecordingStatus(sid, { durationSeconds: 7, ...SIGNED })).toBe(204);
    const stored = await record(call.callSid);
    expect(stored.recording).toEqual({
      sid,
      url: `https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT_SID}/Recordings/${sid}`,
      durationSeconds: 7,
      channels: 2,
      status: 'completed',
    });
    expect(stored.twilio?.recording).toBeUndefined();

    // The eraser the retention job uses deletes it at Twilio; a recording already gone counts as erased.
    const eraser = gateway!.app.get<CallRecordingEraser>(CALL_RECORDING_ERASER);
    await eraser.erase(call.callSid, sid);
    expect(twilioApi!.requests.filter((r) => r.method === 'DELETE').map((r) => r.path)).toEqual([`/2010-04-01/Accounts/${ACCOUNT_SID}/Recordings/${sid}.json`]);
    expect(twilioApi!.recordings[0].deleted).toBe(true);
    await eraser.erase(call.callSid, sid);

    // A call of a profile without recording is neither told nor recorded.
    const plain = await startLiveCall(gateway!);
    expect(plain.call.twiml).not.toContain('<Say>');
    await expectCallFlowing(plain);
    expect(twilioApi!.recordings).toHaveLength(1);
  });

  it('a recording Twilio refuses to start is logged and counted; the call goes on', async () => {
    await start({ ASSISTANT_GREETING: '', CALL_RECORDING: 'true' });
    twilioApi!.failWith({ status: 400, code: 21220, message: 'Invalid call state for recording' });
    const live = await startLiveCall(gateway!);
    await twilioApi!.waitForRequest((r) => r.path.endsWith('/Recordings.json'));
    await expectCallFlowing(live);
    await vi.waitFor(async () => expect(await scrape(gateway!.httpUrl)).toMatch(/voice_gateway_recording_starts_total\{outcome="failed"\} 1/), { timeout: 3000 });
    live.call.hangUp();
    expect((await record(live.call.callSid)).recording).toBeUndefined();
  });
});
