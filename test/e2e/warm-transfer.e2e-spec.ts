import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CallEvents } from '@app/orchestration';
import type { CallTransferEvent } from '@app/orchestration';
import { FakeTwilioRestApi, SimulatedSession } from '@app/simulators';
import type { FakeTwilioCall, RecordedTwilioRequest, RealtimeSimulatorOptions } from '@app/simulators';
import { TWILIO_ROUTES, transferPath, WarmTransferTickets } from '@app/telephony';
import { GatewayHarness, startGateway } from '../support/gateway-harness';
import { completedRecord } from '../support/call-records-api';
import { deleteKeys, requireRedis, TEST_REDIS_URL, uniqueKeyPrefix } from '../support/redis';

const ACCOUNT_SID = 'AC' + '13579bdf02468ace'.repeat(2);
const AUTH_TOKEN = 'warm-transfer-auth-token-0123456789';
const API_KEY = 'warm-transfer-api-key-0123456789abc';
const GATEWAY_NUMBER = '+14155550199';
const SUPPORT_NUMBER = '+15557650002';
const SALES_NUMBER = '+15557650001';
const SIGNING_SECRET = 'warm-transfer-signing-secret-0123456789';

/** The simulated model: a short answer to every turn; the hold sentence when told to say it. */
const simulatorOptions: RealtimeSimulatorOptions = {
  autoRespond: false,
  reply: ({ instructions }) => (instructions?.includes('hold') ? 'Please hold for a moment while I reach a colleague.' : 'Okay, I can help with that.'),
};

interface Started {
  gateway: GatewayHarness;
  transfers: CallTransferEvent[];
}

/** The `<Conference>` room a TwiML document joins, if any. */
const roomOf = (twiml: string) => /<Conference[^>]*>([^<]+)<\/Conference>/.exec(twiml)?.[1];

describe('warm transfer (hold, spoken summary, the human accepts or declines)', () => {
  let twilioApi: FakeTwilioRestApi;
  const gateways: GatewayHarness[] = [];

  beforeEach(async () => {
    twilioApi = await FakeTwilioRestApi.start();
  });

  afterEach(async () => {
    for (const gateway of gateways.splice(0)) await gateway.close();
    await twilioApi.close();
  });

  async function start(env: Record<string, string | undefined> = {}, simulator: RealtimeSimulatorOptions = {}): Promise<Started> {
    const gateway = await startGateway(
      {
        ASSISTANT_GREETING: '',
        TWILIO_ACCOUNT_SID: ACCOUNT_SID,
        TWILIO_AUTH_TOKEN: AUTH_TOKEN,
        TWILIO_API_BASE_URL: twilioApi.baseUrl,
        TWILIO_PHONE_NUMBER: GATEWAY_NUMBER,
        TRANSFER_DESTINATIONS: `sales:${SALES_NUMBER},support:${SUPPORT_NUMBER}:warm`,
        API_KEYS: API_KEY,
        ...env,
      },
      { ...simulatorOptions, ...simulator },
    );
    gateways.push(gateway);
    const transfers: CallTransferEvent[] = [];
    gateway.app.get(CallEvents).subscribe({ callTransferred: (_call, transfer) => void transfers.push(transfer) });
    return { gateway, transfers };
  }

  async function connectedCall(gateway: GatewayHarness) {
    const call = gateway.newCall({ accountSid: ACCOUNT_SID, customParameters: { From: '+15551110000', To: GATEWAY_NUMBER } });
    await call.connect();
    const session = await gateway.simulator.nextSession(gateway.simulator.sessions.length);
    await session.waitForClientEvent('session.update');
    return { call, session };
  }

  /** The caller talks a little, then the model asks for a warm transfer; resolves with the human leg Twilio was asked to place. */
  async function transferToSupport(call: FakeTwilioCall, session: SimulatedSession, args: Record<string, unknown> = { destination: 'support', reason: 'billing dispute' }) {
    session.stopSpeech({ transcript: 'My last invoice is wrong.' });
    await call.waitForAudio(1);
    await call.waitForPlaybackEnd();
    const { callId } = session.callFunction('transfer_call', args);
    const output = await session.waitForClientEvent('conversation.item.create', (e) => e.item?.call_id === callId);
    expect(JSON.parse(output.item.output).ok).toBe(true);
    return twilioApi.waitForRequest((r) => r.path.endsWith('/Calls.json'), 10_000);
  }

  /**
   * The hold ends: its audio is cleared, the assistant is told why (`why` is in its instructions)
   * and to carry on, and the caller hears exactly that answer after the clear.
   */
  async function assistantTakesCallerBack(call: FakeTwilioCall, session: SimulatedSession, heardAtClear: () => number, assistantAudioBefore: number, why: string) {
    await call.waitUntil(() => heardAtClear() >= 0, 5000, 'the hold audio to be cleared');
    const told = await session.waitForClientEvent('response.create', (e) => e.response?.instructions?.includes(why));
    expect(told.response.instructions).toContain('carry on helping them yourself');
    await call.waitUntil(() => session.outputAudio().length > assistantAudioBefore && !session.activeResponseId, 5000, 'the assistant to answer');
    const answer = session.outputAudio().subarray(assistantAudioBefore);
    await call.waitUntil(() => call.receivedAudio().length >= heardAtClear() + answer.length, 5000, "the assistant's answer to reach the caller");
    expect(call.receivedAudio().subarray(heardAtClear()).equals(answer)).toBe(true);
  }

  const answerPathOf = (create: RecordedTwilioRequest) => new URL(/action="([^"]+)"/.exec(create.form.Twiml as string)![1]).pathname;
  const statusPathOf = (create: RecordedTwilioRequest) => new URL(create.form.StatusCallback as string).pathname;
  /** The CallSid the fake Twilio gave the human's leg (the n-th call placed through it). */
  const agentLegOf = (create: RecordedTwilioRequest) => 'CA' + String(twilioApi.requests.filter((r) => r.path.endsWith('/Calls.json')).indexOf(create) + 1).padStart(32, '0');
  const callerRedirects = (call: FakeTwilioCall) => twilioApi.requests.filter((r) => r.path.endsWith(`/Calls/${call.callSid}.json`) && typeof r.form.Twiml === 'string');

  /** A second of hold: hold audio keeps reaching the caller, the model hears nothing, the call stays up. */
  async function holdContinues(call: FakeTwilioCall, session: SimulatedSession) {
    const heard = call.receivedAudio().length;
    const appended = session.inputAudio().length;
    await call.waitUntil(() => call.receivedAudio().length >= heard + 8000, 5000, 'hold audio');
    expect(session.inputAudio().length).toBe(appended);
    expect(call.isOpen).toBe(true);
  }

  const agentForm = (extra: Record<string, string>) => ({ CallSid: 'CA' + 'a'.repeat(32), AccountSid: ACCOUNT_SID, From: GATEWAY_NUMBER, To: SUPPORT_NUMBER, ...extra });

  it('puts the caller on hold, tells the human a summary before the caller is connected, then joins both in one conference', async () => {
    const { gateway, transfers } = await start({ TRANSFER_MODE: 'blind' });
    const { call, session } = await connectedCall(gateway);
    const create = await transferToSupport(call, session);

    // The hold sentence was spoken and heard before anything happened.
    const hold = session.eventsOfType('response.create').find((e) => e.response?.instructions?.includes('Please hold for a moment'));
    expect(hold).toBeDefined();
    const marks = call.messages.filter((m) => m.event === 'mark').length;
    expect(marks).toBeGreaterThan(0);
    expect(call.echoedMarks.filter((m) => !m.cleared && m.at <= create.at)).toHaveLength(marks);
    // The summary came from an out-of-band text response over the conversation.
    const summaryRequest = session.eventsOfType('response.create').find((e) => e.response?.conversation === 'none')!;
    expect(summaryRequest.response).toMatchObject({ output_modalities: ['text'], metadata: { gateway_side_text: expect.any(String) } });
    expect(summaryRequest.response.instructions).toMatch(/Summarise the conversation so far .* 2 or 3 short sentences/);
    expect(summaryRequest.response.instructions).toContain('"billing dispute"');
    const summary = session.outOfBandResponses[0].text;
    expect(summary).toContain('My last invoice is wrong.');

    // The human leg: the destination's number, our number as caller ID, the summary said inside a <Gather> before the prompt.
    expect(create.form).toMatchObject({ To: SUPPORT_NUMBER, From: GATEWAY_NUMBER, Timeout: '25', StatusCallbackEvent: 'completed' });
    const twiml = create.form.Twiml as string;
    expect(twiml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?><Response><Gather numDigits="1" action="[^"]+\/answer" method="POST" timeout="8" actionOnEmptyResult="true">/);
    expect(twiml.indexOf(`<Say>${summary}</Say>`)).toBeGreaterThan(0);
    expect(twiml.indexOf(summary)).toBeLessThan(twiml.indexOf('Press 1 to take the call'));
    expect(JSON.stringify(session.clientEvents)).not.toContain(SUPPORT_NUMBER);

    // On hold: hold audio plays, the model hears nothing of the caller, and the assistant stays quiet.
    const heardBefore = call.receivedAudio().length;
    const appendedBefore = session.inputAudio().length;
    const requestsBefore = session.eventsOfType('response.create').length;
    session.stopSpeech({ transcript: 'Hello? Anyone there?', respond: false });
    await call.waitUntil(() => call.receivedAudio().length >= heardBefore + 8000, 5000, 'hold audio');
    expect(session.inputAudio().length).toBe(appendedBefore);
    expect(session.eventsOfType('response.create').length).toBe(requestsBefore);
    expect(call.receivedAudio().length).toBeGreaterThan(session.outputAudio().length);

    // The human presses 1: their TwiML joins the room and asks Twilio to report the room's joins (signed, bound to the ticket).
    const accepted = await gateway.postWebhook(answerPathOf(create), agentForm({ Digits: '1', CallStatus: 'in-progress' }));
    expect(accepted.status).toBe(200);
    expect(accepted.headers.get('content-type')).toMatch(/text\/xml/);
    const agentTwiml = await accepted.text();
    const room = roomOf(agentTwiml);
    expect(room).toMatch(/^warm-transfer-[A-Za-z0-9_-]{12}$/);
    expect(agentTwiml).toContain('endConferenceOnExit="true"');
    const ticket = answerPathOf(create).split('/')[3];
    expect(agentTwiml).toContain(`statusCallback="${gateway.httpUrl}/twilio/transfer/${ticket}/conference"`);
    expect(agentTwiml).toContain('statusCallbackEvent="join"');

    // Until Twilio reports the human in the room, the caller stays on hold and is not moved.
    await holdContinues(call, session);
    expect(twilioApi.requests.filter((r) => r.path.endsWith(`/Calls/${call.callSid}.json`))).toEqual([]);
    expect(transfers).toEqual([]);

    // The human's leg joins the room: only now is the caller's call redirected to the same room, after the human leg was placed.
    expect(await twilioApi.sendConferenceJoin(agentTwiml, agentLegOf(create), { authToken: AUTH_TOKEN })).toBe(204);
    const redirect = await twilioApi.waitForRequest((r) => r.path.endsWith(`/Calls/${call.callSid}.json`) && typeof r.form.Twiml === 'string', 5000);
    expect(roomOf(redirect.form.Twiml as string)).toBe(room);
    const order = twilioApi.requests.map((r) => r.path.replace(/^.*\/Accounts\/[^/]+/, ''));
    expect(order).toEqual(['/Calls.json', `/Calls/${call.callSid}.json`]);
    expect(create.at).toBeLessThanOrEqual(redirect.at);

    // The caller's AI stream ends as transferred; the record keeps the outcome and the summary, by name only.
    await call.waitForClose();
    await session.waitForClose();
    expect(transfers).toEqual([{ mode: 'warm', destination: 'support', outcome: 'connected', summary }]);
    const record = await completedRecord(gateway, call.callSid, API_KEY, 5000);
    expect(record.endReason).toBe('transferred');
    expect(record.transfer).toEqual({ mode: 'warm', destination: 'support', outcome: 'connected', summary });
    expect(JSON.stringify(record.transfer)).not.toContain(SUPPORT_NUMBER);

    // The same answer again is for a transfer that is over.
    const again = await gateway.postWebhook(answerPathOf(create), agentForm({ Digits: '1' }));
    expect(await again.text()).toContain('the caller is no longer waiting');
  });

  it('a declined transfer ends the hold and the same AI session tells the caller and carries on', async () => {
    const { gateway, transfers } = await start();
    const { call, session } = await connectedCall(gateway);
    const create = await transferToSupport(call, session);
    await call.waitUntil(() => call.receivedAudio().length > session.outputAudio().length, 5000, 'hold audio');
    const appendedBefore = session.inputAudio().length;
    const assistantAudioBefore = session.outputAudio().length;
    let heardAtClear = -1;
    call.once('clear', () => (heardAtClear = call.receivedAudio().length));

    const declined = await gateway.postWebhook(answerPathOf(create), agentForm({ Digits: '2', CallStatus: 'in-progress' }));
    expect(declined.status).toBe(200);
    expect(await declined.text()).toBe('<?xml version="1.0" encoding="UTF-8"?><Response><Say>Thank you. The caller will be told. Goodbye.</Say><Hangup/></Response>');

    // The hold audio is cleared, the assistant is asked to tell the caller, and the caller hears that answer.
    await assistantTakesCallerBack(call, session, () => heardAtClear, assistantAudioBefore, 'could not take the call right now');

    // Same AI session, listening to the caller again; the call goes on.
    expect(gateway.simulator.sessions).toHaveLength(1);
    expect(session.isOpen).toBe(true);
    await call.waitUntil(() => session.inputAudio().length > appendedBefore, 2000, 'caller audio to reach the model again');
    expect(call.isOpen).toBe(true);
    expect(transfers).toEqual([{ mode: 'warm', destination: 'support', outcome: 'declined', summary: expect.any(String) }]);
    // Twilio's final status of the declined leg changes nothing.
    expect((await gateway.postWebhook(statusPathOf(create), agentForm({ CallStatus: 'completed' }))).status).toBe(204);
    expect(transfers).toHaveLength(1);
    expect(twilioApi.requests.filter((r) => r.path.endsWith(`/Calls/${call.callSid}.json`))).toEqual([]);
  });

  it('no answer (the status callback) returns the caller to the assistant; the summary falls back to the transcript when the model is slow', async () => {
    const { gateway, transfers } = await start({ TRANSFER_SUMMARY_TIMEOUT_MS: '300' }, { outOfBandDelayMs: 5000 });
    const { call, session } = await connectedCall(gateway);
    const create = await transferToSupport(call, session);
    const twiml = create.form.Twiml as string;
    expect(twiml).toContain('Reason for the transfer: billing dispute.');
    expect(twiml).toContain('the caller said "My last invoice is wrong."');

    expect((await gateway.postWebhook(statusPathOf(create), agentForm({ CallStatus: 'no-answer' }))).status).toBe(204);
    const told = await session.waitForClientEvent('response.create', (e) => e.response?.instructions?.includes('did not answer'));
    expect(told).toBeDefined();
    await vi.waitFor(() => expect(transfers).toEqual([{ mode: 'warm', destination: 'support', outcome: 'no-answer', summary: expect.stringContaining('billing dispute') }]));
    expect(call.isOpen).toBe(true);

    // The assistant may try again; the caller hangs up while on hold: the human's leg is hung up too.
    await call.waitUntil(() => !session.activeResponseId, 5000, 'the assistant to finish');
    await call.waitForPlaybackEnd();
    const second = await transferToSupport(call, session, { destination: 'support', mode: 'warm' });
    void second;
    await vi.waitFor(() => expect(twilioApi.requests.filter((r) => r.path.endsWith('/Calls.json'))).toHaveLength(2), { timeout: 5000 });
    const agentSid = 'CA' + '2'.padStart(32, '0');
    call.hangUp();
    const hungUp = await twilioApi.waitForRequest((r) => r.path.endsWith(`/Calls/${agentSid}.json`) && r.form.Status === 'completed', 5000);
    expect(hungUp).toBeDefined();
  });

  it('refuses unsigned, forged, foreign and unknown answer callbacks, while the real transfer still connects', async () => {
    const { gateway, transfers } = await start();
    const { call, session } = await connectedCall(gateway);
    const create = await transferToSupport(call, session);
    const path = answerPathOf(create);
    const ticket = decodeURIComponent(path.split('/')[3]);

    const unsigned = await fetch(gateway.httpUrl + path, { method: 'POST', body: new URLSearchParams(agentForm({ Digits: '1' })) });
    expect(unsigned.status).toBe(403);
    const forgedTicket = ticket.slice(0, -2) + (ticket.endsWith('AA') ? 'BB' : 'AA');
    const forged = await gateway.postWebhook(transferPath(TWILIO_ROUTES.transferAnswer, forgedTicket), agentForm({ Digits: '1' }));
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain('Unknown or expired transfer');
    const otherCall = ticket.replace(/^wt1\.CA[0-9a-f]{32}/, 'wt1.CA' + 'b'.repeat(32));
    expect((await gateway.postWebhook(transferPath(TWILIO_ROUTES.transferAnswer, otherCall), agentForm({ Digits: '1' }))).status).toBe(403);
    const foreign = await gateway.postWebhook(path, agentForm({ Digits: '1', AccountSid: 'AC' + 'c'.repeat(32) }));
    expect(foreign.status).toBe(403);
    // Signed by this gateway for this call, but no transfer is waiting on it: the human is told, nothing happens.
    const stale = gateway.app.get(WarmTransferTickets).mint(call.callSid, 60_000);
    const unknown = await gateway.postWebhook(transferPath(TWILIO_ROUTES.transferAnswer, stale.id), agentForm({ Digits: '1' }));
    expect(await unknown.text()).toContain('the caller is no longer waiting');
    expect(twilioApi.requests.filter((r) => r.path.endsWith(`/Calls/${call.callSid}.json`))).toEqual([]);
    expect(transfers).toEqual([]);

    const accepted = await gateway.postWebhook(path, agentForm({ Digits: '1' }));
    const agentTwiml = await accepted.text();
    expect(roomOf(agentTwiml)).toBeDefined();

    // Joins that are not the human's leg, or not Twilio's, move nobody.
    const agentSid = agentLegOf(create);
    const joinPath = transferPath(TWILIO_ROUTES.transferConference, ticket);
    const joinForm = (extra: Record<string, string> = {}) => ({ AccountSid: ACCOUNT_SID, ConferenceSid: 'CF' + 'd'.repeat(32), FriendlyName: roomOf(agentTwiml)!, CallSid: agentSid, StatusCallbackEvent: 'participant-join', ...extra });
    expect(await twilioApi.sendConferenceJoin(agentTwiml, call.callSid, { authToken: AUTH_TOKEN, accountSid: ACCOUNT_SID })).toBe(204);
    expect(await twilioApi.sendConferenceJoin(agentTwiml, 'CA' + 'e'.repeat(32), { authToken: AUTH_TOKEN, accountSid: ACCOUNT_SID })).toBe(204);
    expect(await twilioApi.sendConferenceJoin(agentTwiml, agentSid)).toBe(403);
    expect(await twilioApi.sendConferenceJoin(agentTwiml, agentSid, { authToken: 'not-the-auth-token' })).toBe(403);
    expect((await gateway.postWebhook(transferPath(TWILIO_ROUTES.transferConference, forgedTicket), joinForm())).status).toBe(403);
    expect((await gateway.postWebhook(joinPath, joinForm({ AccountSid: 'AC' + 'c'.repeat(32) }))).status).toBe(403);
    expect((await gateway.postWebhook(joinPath, joinForm({ StatusCallbackEvent: 'participant-leave' }))).status).toBe(204);
    await holdContinues(call, session);
    expect(callerRedirects(call)).toEqual([]);
    expect(transfers).toEqual([]);

    expect(await twilioApi.sendConferenceJoin(agentTwiml, agentSid, { authToken: AUTH_TOKEN })).toBe(204);
    await call.waitForClose();
    expect(callerRedirects(call)).toHaveLength(1);
    expect(transfers.map((t) => t.outcome)).toEqual(['connected']);
  });

  it('the human hangs up after pressing 1, before joining the room: the caller is never moved and hears the assistant again', async () => {
    const { gateway, transfers } = await start();
    const { call, session } = await connectedCall(gateway);
    const create = await transferToSupport(call, session);
    await call.waitUntil(() => call.receivedAudio().length > session.outputAudio().length, 5000, 'hold audio');
    const accepted = await gateway.postWebhook(answerPathOf(create), agentForm({ Digits: '1', CallStatus: 'in-progress' }));
    const agentTwiml = await accepted.text();
    expect(roomOf(agentTwiml)).toBeDefined();
    await holdContinues(call, session);
    const assistantAudioBefore = session.outputAudio().length;
    let heardAtClear = -1;
    call.once('clear', () => (heardAtClear = call.receivedAudio().length));

    // Their leg ends (Twilio's status callback) before Twilio reports them in the room.
    expect((await gateway.postWebhook(statusPathOf(create), agentForm({ CallSid: agentLegOf(create), CallStatus: 'completed' }))).status).toBe(204);
    await assistantTakesCallerBack(call, session, () => heardAtClear, assistantAudioBefore, 'did not answer');
    expect(transfers).toEqual([{ mode: 'warm', destination: 'support', outcome: 'no-answer', summary: expect.any(String) }]);

    // A join reported late changes nothing: the caller stays with the assistant, on the same session.
    expect(await twilioApi.sendConferenceJoin(agentTwiml, agentLegOf(create), { authToken: AUTH_TOKEN })).toBe(204);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(callerRedirects(call)).toEqual([]);
    expect(call.isOpen).toBe(true);
    expect(session.isOpen).toBe(true);
    expect(gateway.simulator.sessions).toHaveLength(1);
    expect(transfers).toHaveLength(1);
  });

  it('keeps blind transfers: the default mode dials at once, and a mode a destination does not allow is refused clearly', async () => {
    const { gateway, transfers } = await start();
    const { call, session } = await connectedCall(gateway);
    const update = session.eventsOfType('session.update')[0].session;
    const tool = (update.tools as Array<{ name: string; parameters: any }>).find((t) => t.name === 'transfer_call')!;
    expect(tool.parameters.properties.mode.enum).toEqual(['warm', 'blind']);

    const refused = session.callFunction('transfer_call', { destination: 'support', mode: 'blind' });
    const refusal = await session.waitForClientEvent('conversation.item.create', (e) => e.item?.call_id === refused.callId);
    expect(JSON.parse(refusal.item.output).error).toBe('Transfers to support are warm only; call transfer_call again without mode or with mode "warm".');

    const blind = session.callFunction('transfer_call', { destination: 'sales' });
    await session.waitForClientEvent('conversation.item.create', (e) => e.item?.call_id === blind.callId);
    const redirect = await twilioApi.waitForRequest((r) => typeof r.form.Twiml === 'string', 10_000);
    expect(redirect.path).toBe(`/2010-04-01/Accounts/${ACCOUNT_SID}/Calls/${call.callSid}.json`);
    expect(redirect.form.Twiml).toBe(`<?xml version="1.0" encoding="UTF-8"?><Response><Dial>${SALES_NUMBER}</Dial></Response>`);
    await call.waitForClose();
    expect(twilioApi.requests.filter((r) => r.path.endsWith('/Calls.json'))).toEqual([]);
    expect(session.eventsOfType('response.create').filter((e) => e.response?.conversation === 'none')).toEqual([]);
    void transfers;
  });

  it("Twilio stops the stream before it answers the redirect (it took the new TwiML first): the call still ends as transferred", async () => {
    const { gateway, transfers } = await start();
    const { call, session } = await connectedCall(gateway);
    twilioApi.delayResponses(400);
    const blind = session.callFunction('transfer_call', { destination: 'sales' });
    await session.waitForClientEvent('conversation.item.create', (e) => e.item?.call_id === blind.callId);
    await twilioApi.waitForRequest((r) => typeof r.form.Twiml === 'string' && r.form.Twiml.includes('<Dial>'), 10_000);
    call.hangUp(); // Twilio's stop, while its REST answer is still on the way
    await vi.waitFor(() => expect(transfers).toEqual([{ mode: 'blind', destination: 'sales', outcome: 'connected' }]));
    const record = await completedRecord(gateway, call.callSid, API_KEY, 5000);
    expect(record).toMatchObject({ endReason: 'transferred', transfer: { mode: 'blind', destination: 'sales', outcome: 'connected' } });
  });

  it('across two pods: the human answer reaching the other pod is routed to the one holding the call over the fleet bus', async () => {
    await requireRedis();
    const prefix = uniqueKeyPrefix('warm');
    const shared = { PUBLIC_URL: 'https://voice.example.com', REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix, GATEWAY_SIGNING_SECRET: SIGNING_SECRET };
    try {
      const { gateway: podA, transfers } = await start(shared);
      const { gateway: podB } = await start(shared);
      const { call, session } = await connectedCall(podA);
      const create = await transferToSupport(call, session);
      expect(create.form.Twiml).toContain('action="https://voice.example.com/twilio/transfer/');

      const accepted = await podB.postWebhook(answerPathOf(create), agentForm({ Digits: '1' }));
      expect(accepted.status).toBe(200);
      const agentTwiml = await accepted.text();
      const room = roomOf(agentTwiml);
      expect(room).toBeDefined();
      expect(agentTwiml).toContain('statusCallback="https://voice.example.com/twilio/transfer/');
      await holdContinues(call, session);
      expect(callerRedirects(call)).toEqual([]);

      // Twilio reports the human's join to pod B too: it reaches pod A over the fleet bus, which moves the caller.
      expect(await twilioApi.sendConferenceJoin(agentTwiml, agentLegOf(create), { authToken: AUTH_TOKEN, deliverTo: podB.httpUrl })).toBe(204);
      const redirect = await twilioApi.waitForRequest((r) => r.path.endsWith(`/Calls/${call.callSid}.json`), 5000);
      expect(roomOf(redirect.form.Twiml as string)).toBe(room);
      await call.waitForClose();
      expect(transfers.map((t) => t.outcome)).toEqual(['connected']);
    } finally {
      await deleteKeys(prefix);
    }
  });
});
