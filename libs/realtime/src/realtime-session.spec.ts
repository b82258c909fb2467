import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { RealtimeSimulator } from '@app/simulators';
import type { SimulatedSessionBehaviour } from '@app/simulators';
import type { RealtimeSessionConfig } from './realtime-events';
import { RealtimeSession } from './realtime-session';
import type { RealtimeSessionListener, RealtimeSessionOptions } from './realtime-session';
import { buildSessionConfig, buildSessionFallbacks } from './session-config';
import type { AssistantSessionSettings } from './session-config';
import type { OptionalSessionFeature } from './session-degrade';

const KEY = 'sk-test-0123456789abcdefghij';
const settings: AssistantSessionSettings = {
  model: 'gpt-realtime-2.1',
  voice: 'marin',
  instructions: 'Be brief.',
  turnDetection: { type: 'semantic_vad', threshold: 0.5, prefixPaddingMs: 300, silenceDurationMs: 600, eagerness: 'auto' },
  noiseReduction: 'near_field',
  inputTranscriptionModel: 'gpt-transcribe',
  reasoningEffort: 'low',
};

describe('RealtimeSession against the simulator', () => {
  let simulator: RealtimeSimulator | undefined;
  let session: RealtimeSession | undefined;
  afterEach(async () => {
    session?.close();
    await simulator?.close();
    simulator = session = undefined;
  });

  async function open(behaviour: Partial<SimulatedSessionBehaviour & { azure: boolean }>, options: Partial<RealtimeSessionOptions> = {}) {
    simulator = await RealtimeSimulator.start({ apiKey: KEY, autoRespond: false, ...behaviour });
    const logs: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
    const dropped: Array<[OptionalSessionFeature, RealtimeSessionConfig]> = [];
    let ready!: () => void;
    const isReady = new Promise<void>((resolve) => (ready = resolve));
    const listener: RealtimeSessionListener = {
      onSessionReady: () => ready(),
      onServerEvent: () => undefined,
      onSessionDegraded: (feature, config) => void dropped.push([feature, config]),
      onSessionClosed: () => undefined,
    };
    session = new RealtimeSession({ url: `${simulator.url}?model=gpt-realtime-2.1`, apiKey: KEY, ...options }, listener, logger);
    session.configure(buildSessionConfig(settings), buildSessionFallbacks(settings));
    session.connect();
    return { logs, dropped, isReady, simulated: await simulator.nextSession(0) };
  }

  it('tags its session.update with an event_id and becomes ready when OpenAI accepts it', async () => {
    const { isReady, simulated, dropped } = await open({});
    await isReady;
    expect(simulated.eventsOfType('session.update')).toEqual([expect.objectContaining({ event_id: expect.stringMatching(/^gw_session_update_\d+$/) })]);
    expect(dropped).toEqual([]);
  });

  it('drops each optional part OpenAI refuses, once, logs it loudly and becomes ready without it', async () => {
    const { isReady, simulated, dropped, logs } = await open({
      rejectSession: [
        { param: 'session.audio.input.transcription.model' },
        { param: 'session.audio.input.turn_detection.type', value: 'semantic_vad' },
        { param: 'session.reasoning.effort' },
      ],
    });
    await isReady;
    const updates = simulated.eventsOfType('session.update');
    expect(updates).toHaveLength(4);
    expect(new Set(updates.map((u) => u.event_id)).size).toBe(4);
    expect(dropped.map(([feature]) => feature)).toEqual(['transcription', 'semantic_vad', 'reasoning']);
    const final = updates[3].session;
    expect(final.audio.input).not.toHaveProperty('transcription');
    expect(final.audio.input.turn_detection).toEqual({ type: 'server_vad', threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: 600, create_response: true, interrupt_response: true });
    expect(final.audio.input.noise_reduction).toEqual({ type: 'near_field' });
    expect(final).not.toHaveProperty('reasoning');
    expect(dropped.at(-1)![1]).toEqual(final);
    const warnings = logs.filter((l) => l.level === 40);
    expect(warnings.map((w) => w.feature)).toEqual(['transcription', 'semantic_vad', 'reasoning']);
    expect(warnings[0]).toMatchObject({ param: 'session.audio.input.transcription.model', code: 'invalid_value', msg: "OpenAI refused the session's transcription; the call continues without it" });
    expect(simulated.config.audio.input.transcription).toBeNull();
  });

  it('sends the key as api-key for Azure OpenAI, and no Authorization header', async () => {
    const { isReady, simulated } = await open({ azure: true }, { auth: 'api-key' });
    await isReady;
    expect(simulated.headers['api-key']).toBe(KEY);
    expect(simulated.headers.authorization).toBeUndefined();
  });
});
