import { once } from 'node:events';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
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

/** A field of a session.update, by its dotted path. */
const valueAt = (value: unknown, path: string) => path.split('.').reduce<any>((current, key) => current?.[key], value);

/**
 * A minimal Realtime server: it refuses a session.update carrying one of `refuse` (an `error`
 * naming the field in `param` and echoing the update's event_id, as OpenAI does), else confirms it.
 */
async function fakeRealtime(refuse: Array<{ param: string; value?: unknown }>) {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await once(server, 'listening');
  const updates: Array<Record<string, any>> = [];
  const handshakes: IncomingHttpHeaders[] = [];
  server.on('connection', (socket, request) => {
    handshakes.push(request.headers);
    socket.on('message', (data) => {
      const event = JSON.parse(data.toString());
      if (event.type !== 'session.update') return;
      updates.push(event);
      const refused = refuse.find(({ param, value }) => {
        const sent = valueAt(event, param);
        return sent !== undefined && (value === undefined || sent === value);
      });
      if (refused) {
        socket.send(JSON.stringify({ type: 'error', event_id: 'evt_1', error: { type: 'invalid_request_error', code: 'invalid_value', message: 'Not supported.', param: refused.param, event_id: event.event_id } }));
      } else {
        socket.send(JSON.stringify({ type: 'session.updated', event_id: 'evt_2', session: event.session }));
      }
    });
  });
  return { url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/v1/realtime`, updates, handshakes, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('RealtimeSession', () => {
  let server: Awaited<ReturnType<typeof fakeRealtime>> | undefined;
  let session: RealtimeSession | undefined;
  afterEach(async () => {
    session?.close();
    await server?.close();
    server = session = undefined;
  });

  async function open(refuse: Array<{ param: string; value?: unknown }>, options: Partial<RealtimeSessionOptions> = {}) {
    server = await fakeRealtime(refuse);
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
    session = new RealtimeSession({ url: `${server.url}?model=gpt-realtime-2.1`, apiKey: KEY, ...options }, listener, logger);
    session.configure(buildSessionConfig(settings), buildSessionFallbacks(settings));
    session.connect();
    return { logs, dropped, isReady, updates: server.updates, handshakes: server.handshakes };
  }

  it('tags its session.update with an event_id and becomes ready when OpenAI accepts it', async () => {
    const { isReady, updates, dropped, handshakes } = await open([]);
    await isReady;
    expect(updates).toEqual([expect.objectContaining({ event_id: expect.stringMatching(/^gw_session_update_\d+$/) })]);
    expect(dropped).toEqual([]);
    expect(handshakes[0].authorization).toBe(`Bearer ${KEY}`);
  });

  it('drops each optional part OpenAI refuses, once, logs it loudly and becomes ready without it', async () => {
    const { isReady, updates, dropped, logs } = await open([
      { param: 'session.audio.input.transcription.model' },
      { param: 'session.audio.input.turn_detection.type', value: 'semantic_vad' },
      { param: 'session.reasoning.effort' },
    ]);
    await isReady;
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
  });

  it('does not drop a part the call cannot do without: the refusal is logged as an error and the session never becomes ready', async () => {
    const { updates, dropped, logs } = await open([{ param: 'session.audio.output.voice' }]);
    await expect.poll(() => logs.some((l) => l.msg === 'OpenAI refused the session configuration')).toBe(true);
    expect(logs.find((l) => l.msg === 'OpenAI refused the session configuration')).toMatchObject({ level: 50, param: 'session.audio.output.voice' });
    expect(updates).toHaveLength(1);
    expect(dropped).toEqual([]);
    expect(session!.isReady).toBe(false);
  });

  it('sends the key as api-key for Azure OpenAI, and no Authorization header', async () => {
    const { isReady, handshakes } = await open([], { auth: 'api-key' });
    await isReady;
    expect(handshakes[0]['api-key']).toBe(KEY);
    expect(handshakes[0].authorization).toBeUndefined();
  });
});
