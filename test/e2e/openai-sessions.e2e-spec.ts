import { createServer } from 'node:http';
import type { Server, Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CallRecord } from '@app/call-records';
import { OpenAIModelLifecycle } from '@app/realtime';
import { FakeTwilioCall, FakeTwilioRestApi, mulawSilence, mulawTone, SimulatedSession } from '@app/simulators';
import { captureCallLogs } from '../support/call-logs';
import { GatewayHarness, startGateway, TEST_OPENAI_KEY } from '../support/gateway-harness';
import { metricValue, scrape } from '../support/prometheus';
import { completedRecord } from '../support/call-records-api';

const API_KEY = 'openai-e2e-api-key-0123456789';
const ACCOUNT_SID = 'AC' + 'fedcba9876543210'.repeat(2);
const AUTH_TOKEN = 'twilio-auth-token-0123456789';
const LANGUAGE_LINE = 'Always speak Spanish, whatever language the caller uses, unless they ask you to switch.';

/** OpenAI's list prices (USD per 1M tokens), written out here independently of the gateway's table. */
const LIST_PRICES = {
  'gpt-realtime-2.1': { inputText: 4, inputAudio: 32, cached: 0.4, outputText: 24, outputAudio: 64 },
  'gpt-realtime-2.1-mini': { inputText: 0.6, inputAudio: 10, cached: 0.06, outputText: 2.4, outputAudio: 20 },
};
const GPT_TRANSCRIBE_PER_MINUTE = 0.0045;

const usd = (value: number) => Math.round(value * 1_000_000) / 1_000_000;

/** Short assistant audio, so calls take little time (its words do not matter here). */
const speak = () => mulawTone(400, 300);

/** A caller turn the simulator's VAD hears: half a second of speech, then silence. */
const callerTurn = () => Buffer.concat([mulawTone(600, 500), mulawSilence(800)]);

function api(gateway: GatewayHarness, path: string): Promise<Response> {
  return fetch(`${gateway.httpUrl}${path}`, { headers: { authorization: `Bearer ${API_KEY}` } });
}

/** Greeting, then one caller turn answered by the assistant; hangs up once the answer was heard. */
async function greetedCallWithOneTurn(gateway: GatewayHarness, callSid: string, to = '+15559870000'): Promise<{ call: FakeTwilioCall; session: SimulatedSession }> {
  const call = gateway.newCall({ callSid, customParameters: { From: '+15551230000', To: to, CallSid: callSid } });
  await call.connect();
  const session = await gateway.simulator.nextSession(gateway.simulator.sessions.length);
  await call.waitForAudio(8 * 200);
  await call.waitForPlaybackEnd();
  const heard = call.receivedAudio().length;
  await call.say(callerTurn());
  await call.waitForAudio(heard + 8 * 200, 8000);
  await call.waitForPlaybackEnd();
  call.hangUp();
  await session.waitForClose();
  return { call, session };
}

describe('current OpenAI: models, prices, degraded sessions, Azure, the persona', () => {
  let gateway: GatewayHarness | undefined;
  let twilioApi: FakeTwilioRestApi | undefined;
  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
    await twilioApi?.close();
    twilioApi = undefined;
  });

  it('keeps the call going without transcription when OpenAI refuses the transcription model, and says so loudly', async () => {
    const logs = captureCallLogs();
    gateway = await startGateway(
      { API_KEYS: API_KEY },
      {
        speak,
        rejectSession: [
          { param: 'session.audio.input.transcription.model', code: 'invalid_value', message: "Invalid value: 'gpt-transcribe'. This model is not supported for input transcription in this session." },
        ],
      },
      { override: logs.override },
    );
    const callSid = 'CA' + 'degrade1'.padEnd(32, '0');
    const { call, session } = await greetedCallWithOneTurn(gateway, callSid);

    // One session, configured twice: the second update without the refused part, which OpenAI accepted.
    expect(gateway.simulator.sessions).toHaveLength(1);
    const updates = session.eventsOfType('session.update');
    expect(updates).toHaveLength(2);
    expect(session.refusedUpdates).toBe(1);
    expect(session.sentErrors).toEqual([expect.objectContaining({ code: 'invalid_value', param: 'session.audio.input.transcription.model' })]);
    expect(updates[0].session.audio.input.transcription).toEqual({ model: 'gpt-transcribe' });
    expect(updates[1].session.audio.input).not.toHaveProperty('transcription');
    expect(updates[1].session.audio.input.noise_reduction).toEqual({ type: 'near_field' });
    // The caller heard the greeting and an answer to their turn.
    expect(call.receivedAudio().length).toBe(session.outputAudio().length);
    expect(session.outputAudio().length).toBeGreaterThan(8 * 400);

    const warning = logs.lines.find((line) => line.feature === 'transcription');
    expect(warning).toMatchObject({ level: 40, callSid, param: 'session.audio.input.transcription.model', msg: "OpenAI refused the session's transcription; the call continues without it" });

    const metrics = await scrape(gateway.httpUrl);
    expect(metricValue(metrics, 'voice_gateway_openai_session_features_dropped_total', { feature: 'transcription' })).toBe(1);
    expect(metricValue(metrics, 'voice_gateway_openai_rate_limit_remaining', { limit: 'tokens' })).toBeGreaterThan(0);
    expect(metricValue(metrics, 'voice_gateway_calls_total', { outcome: 'openai-failed' })).toBeUndefined();

    const record = await completedRecord(gateway, callSid, API_KEY);
    expect(record).toMatchObject({ endReason: 'caller-hung-up', droppedSessionFeatures: ['transcription'], model: 'gpt-realtime-2.1' });
    expect(record.transcript.map((turn) => turn.role)).toEqual(['assistant', 'assistant']);
  });

  it('marks a caller turn OpenAI could not transcribe in the record, counts it, and carries on', async () => {
    gateway = await startGateway(
      { API_KEYS: API_KEY, ASSISTANT_GREETING: '' },
      { speak, failTranscription: (turn) => (turn === 1 ? { code: 'audio_unintelligible', message: 'The audio could not be transcribed.' } : undefined) },
    );
    const callSid = 'CA' + 'unheard1'.padEnd(32, '0');
    const call = gateway.newCall({ callSid, customParameters: { From: '+15551230000', To: '+15559870000', CallSid: callSid } });
    await call.connect();
    const session = await gateway.simulator.nextSession(0);
    await session.waitForClientEvent('session.update');
    for (const turn of [1, 2]) {
      const heard = call.receivedAudio().length;
      await call.say(callerTurn());
      await call.waitForAudio(heard + 8 * 200, 8000);
      await call.waitForPlaybackEnd();
      expect(call.isOpen, `after turn ${turn}`).toBe(true);
    }
    call.hangUp();
    const record = await completedRecord(gateway, callSid, API_KEY);
    expect(record.transcript.map(({ role, text, transcriptionFailed }) => ({ role, empty: text === '', transcriptionFailed }))).toEqual([
      { role: 'caller', empty: true, transcriptionFailed: { code: 'audio_unintelligible', message: 'The audio could not be transcribed.' } },
      { role: 'assistant', empty: false, transcriptionFailed: undefined },
      { role: 'caller', empty: false, transcriptionFailed: undefined },
      { role: 'assistant', empty: false, transcriptionFailed: undefined },
    ]);
    const metrics = await scrape(gateway.httpUrl);
    expect(metricValue(metrics, 'voice_gateway_caller_transcriptions_failed_total', { code: 'audio_unintelligible' })).toBe(1);
  });

  it("prices each call at its own model's prices: the default gpt-realtime-2.1 and a profile's gpt-realtime-2.1-mini", async () => {
    gateway = await startGateway(
      {
        API_KEYS: API_KEY,
        ASSISTANT_PROFILES: JSON.stringify({ budget: { numbers: ['+15550002222'], model: 'gpt-realtime-2.1-mini', reasoningEffort: 'minimal' } }),
      },
      { speak },
    );
    const fullSid = 'CA' + 'full21'.padEnd(32, '0');
    const miniSid = 'CA' + 'mini21'.padEnd(32, '0');
    const full = await greetedCallWithOneTurn(gateway, fullSid);
    const mini = await greetedCallWithOneTurn(gateway, miniSid, '+15550002222');

    // Each session ran its own model, named in the URL and the session.update, with its reasoning effort.
    expect([full.session.model, mini.session.model]).toEqual(['gpt-realtime-2.1', 'gpt-realtime-2.1-mini']);
    expect(full.session.eventsOfType('session.update')[0].session).toMatchObject({ model: 'gpt-realtime-2.1', reasoning: { effort: 'low' } });
    expect(mini.session.eventsOfType('session.update')[0].session).toMatchObject({ model: 'gpt-realtime-2.1-mini', reasoning: { effort: 'minimal' } });

    const records = { 'gpt-realtime-2.1': await completedRecord(gateway, fullSid, API_KEY), 'gpt-realtime-2.1-mini': await completedRecord(gateway, miniSid, API_KEY) };
    for (const [model, record] of Object.entries(records) as Array<[keyof typeof LIST_PRICES, CallRecord]>) {
      const p = LIST_PRICES[model];
      const u = record.usage;
      expect(record.model).toBe(model);
      expect(record.transcriptionModel).toBe('gpt-transcribe');
      expect(u.responses).toBeGreaterThanOrEqual(2);
      expect(u.outputAudioTokens).toBeGreaterThan(0);
      expect(u.transcription.turns).toBe(1);
      expect(u.transcription.seconds).toBeGreaterThan(0.5);
      const expected = {
        inputText: usd(((u.inputTextTokens - u.cachedInputTextTokens) * p.inputText) / 1e6),
        inputAudio: usd(((u.inputAudioTokens - u.cachedInputAudioTokens) * p.inputAudio) / 1e6),
        cachedInput: usd(((u.cachedInputTextTokens + u.cachedInputAudioTokens) * p.cached) / 1e6),
        outputText: usd((u.outputTextTokens * p.outputText) / 1e6),
        outputAudio: usd((u.outputAudioTokens * p.outputAudio) / 1e6),
        transcription: usd((u.transcription.seconds / 60) * GPT_TRANSCRIBE_PER_MINUTE),
      };
      expect(record.cost.breakdown).toEqual(expected);
      expect(record.cost.total).toBeCloseTo(Object.values(expected).reduce((a, b) => a + b, 0), 5);
      expect(record.cost.unpriced).toBeUndefined();
    }
    // The same kind of call costs several times less on the mini model.
    expect(records['gpt-realtime-2.1'].cost.total).toBeGreaterThan(2 * records['gpt-realtime-2.1-mini'].cost.total);
  });

  it("runs against Azure OpenAI's GA endpoint with the key in an api-key header, the model a deployment name", async () => {
    gateway = await startGateway(
      {
        API_KEYS: API_KEY,
        OPENAI_AUTH_SCHEME: 'api-key',
        OPENAI_REALTIME_MODEL: 'contoso-realtime',
        INPUT_TRANSCRIPTION_MODEL: 'contoso-transcribe',
      },
      { azure: true, speak },
    );
    expect(gateway.config.realtime.url).toMatch(/\/openai\/v1\/realtime$/);
    const callSid = 'CA' + 'azure1'.padEnd(32, '0');
    const { session } = await greetedCallWithOneTurn(gateway, callSid);
    expect(session.headers['api-key']).toBe(TEST_OPENAI_KEY);
    expect(session.headers.authorization).toBeUndefined();
    expect(session.model).toBe('contoso-realtime');
    expect(session.eventsOfType('session.update')[0].session.audio.input.transcription).toEqual({ model: 'contoso-transcribe' });

    // The start-up lookup used the same header; Azure does not know deployment names, which is no error.
    await gateway.app.get(OpenAIModelLifecycle).settled();
    expect(gateway.simulator.modelLookups.map((l) => [l.model, l.headers['api-key'], l.headers.authorization, l.status])).toEqual([
      ['contoso-realtime', TEST_OPENAI_KEY, undefined, 404],
      ['contoso-transcribe', TEST_OPENAI_KEY, undefined, 404],
    ]);
    expect(metricValue(await scrape(gateway.httpUrl), 'voice_gateway_openai_model_shutdown_timestamp_seconds')).toBeUndefined();
    // A deployment name has no list price: the record says so instead of pretending it was free.
    expect((await completedRecord(gateway, callSid, API_KEY)).cost).toMatchObject({ total: 0, unpriced: ['contoso-realtime', 'contoso-transcribe'] });
  });

  it('looks every configured model up at start-up and exposes the announced shutdowns, without delaying start-up', async () => {
    gateway = await startGateway(
      {
        OPENAI_REALTIME_MODEL: 'gpt-realtime',
        INPUT_TRANSCRIPTION_MODEL: 'gpt-4o-mini-transcribe',
        ASSISTANT_PROFILES: JSON.stringify({ cheap: { model: 'gpt-realtime-mini' }, current: { model: 'gpt-realtime-2.1-mini' } }),
      },
      { modelShutdownDates: { 'gpt-realtime-2.1-mini': '2027-12-01' } },
    );
    const lookups = await gateway.app.get(OpenAIModelLifecycle).settled();
    expect(lookups.map((l) => l.model).sort()).toEqual(['gpt-4o-mini-transcribe', 'gpt-realtime', 'gpt-realtime-2.1-mini', 'gpt-realtime-mini']);
    expect(gateway.simulator.modelLookups.every((l) => l.headers.authorization === `Bearer ${TEST_OPENAI_KEY}` && l.status === 200)).toBe(true);
    const metrics = await scrape(gateway.httpUrl);
    const at = (date: string) => Date.parse(`${date}T00:00:00Z`) / 1000;
    expect(metricValue(metrics, 'voice_gateway_openai_model_shutdown_timestamp_seconds', { model: 'gpt-realtime' })).toBe(at('2027-01-20'));
    expect(metricValue(metrics, 'voice_gateway_openai_model_shutdown_timestamp_seconds', { model: 'gpt-realtime-mini' })).toBe(at('2027-01-20'));
    expect(metricValue(metrics, 'voice_gateway_openai_model_shutdown_timestamp_seconds', { model: 'gpt-4o-mini-transcribe' })).toBe(at('2027-02-26'));
    expect(metricValue(metrics, 'voice_gateway_openai_model_shutdown_timestamp_seconds', { model: 'gpt-realtime-2.1-mini' })).toBe(at('2027-12-01'));
    await gateway.close();

    // An API that never answers: start-up goes on, and the lookup gives up on its own.
    const sockets = new Set<Socket>();
    const silent: Server = createServer(() => undefined);
    silent.on('connection', (socket: Socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const startedAt = Date.now();
      gateway = await startGateway({ OPENAI_API_BASE_URL: `http://127.0.0.1:${(silent.address() as AddressInfo).port}/v1`, OPENAI_MODEL_CHECK_TIMEOUT_MS: '1500' });
      const bootMs = Date.now() - startedAt;
      expect(bootMs).toBeLessThan(1500);
      const call = gateway.newCall();
      await call.connect();
      await call.waitForAudio(8 * 200);
      expect(await gateway.app.get(OpenAIModelLifecycle).settled()).toEqual([
        { model: 'gpt-realtime-2.1', outcome: 'failed', reason: 'no answer within 1500 ms' },
        { model: 'gpt-transcribe', outcome: 'failed', reason: 'no answer within 1500 ms' },
      ]);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  describe("keeps the persona and the profile's language on every response the gateway asks for", () => {
    const SPANISH = JSON.stringify({
      spanish: { numbers: ['+15550001111'], instructions: 'Eres la recepción de la clínica.', language: 'Spanish', greeting: 'Greet the caller in one short sentence.' },
    });

    async function spanishCall(env: Record<string, string>) {
      twilioApi = await FakeTwilioRestApi.start();
      gateway = await startGateway(
        {
          ASSISTANT_PROFILES: SPANISH,
          TWILIO_ACCOUNT_SID: ACCOUNT_SID,
          TWILIO_AUTH_TOKEN: AUTH_TOKEN,
          TWILIO_API_BASE_URL: twilioApi.baseUrl,
          TRANSFER_PHONE_NUMBER: '+15557654321',
          CALLER_IDLE_TIMEOUT_S: '0',
          MAX_CALL_DURATION_S: '0',
          ...env,
        },
        { autoRespond: false, speak },
      );
      const call = gateway.newCall({ customParameters: { From: '+15551234567', To: '+15550001111' } });
      await call.connect();
      const session = await gateway.simulator.nextSession(gateway.simulator.sessions.length);
      const update = await session.waitForClientEvent('session.update');
      expect(update.session.instructions).toBe(`Eres la recepción de la clínica.\n\n${LANGUAGE_LINE}`);
      return { call, session, persona: update.session.instructions as string };
    }

    /** The n-th response.create, once it came: it must carry the session's instructions first, then the turn's. */
    async function turnInstructions(session: SimulatedSession, persona: string, n: number): Promise<string> {
      await vi.waitFor(() => expect(session.eventsOfType('response.create').length).toBeGreaterThan(n), { timeout: 8000, interval: 20 });
      const instructions = session.eventsOfType('response.create')[n].response?.instructions as string;
      expect(instructions.startsWith(`${persona}\n\n`)).toBe(true);
      expect(instructions).toContain(LANGUAGE_LINE);
      return instructions.slice(persona.length + 2);
    }

    it('the greeting and the end_call goodbye', async () => {
      const { call, session, persona } = await spanishCall({});
      expect(await turnInstructions(session, persona, 0)).toBe('Greet the caller in one short sentence.');
      await call.waitForPlaybackEnd();
      session.callFunction('end_call', { reason: 'done' });
      expect(await turnInstructions(session, persona, 1)).toMatch(/goodbye/);
      await call.waitForClose(10_000);
    });

    it('the transfer sentence', async () => {
      const { call, session, persona } = await spanishCall({});
      await turnInstructions(session, persona, 0);
      await call.waitForPlaybackEnd();
      session.callFunction('transfer_call', { reason: 'wants a person' });
      expect(await turnInstructions(session, persona, 1)).toMatch(/transferring them/);
      await call.waitForClose(10_000);
    });

    it('the idle nudge and the idle goodbye', async () => {
      const { call, session, persona } = await spanishCall({ CALLER_IDLE_TIMEOUT_S: '1' });
      await turnInstructions(session, persona, 0);
      expect(await turnInstructions(session, persona, 1)).toMatch(/still there/);
      expect(await turnInstructions(session, persona, 2)).toMatch(/still silent.*goodbye/);
      await call.waitForClose(10_000);
    });

    it('the goodbye at the maximum call length', async () => {
      const { call, session, persona } = await spanishCall({ MAX_CALL_DURATION_S: '1' });
      expect(await turnInstructions(session, persona, 0)).toBe('Greet the caller in one short sentence.');
      expect(await turnInstructions(session, persona, 1)).toMatch(/maximum length/);
      await call.waitForClose(10_000);
    });
  });
});
