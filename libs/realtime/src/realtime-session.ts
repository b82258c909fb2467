import type { Logger } from 'pino';
import WebSocket, { RawData } from 'ws';
import { matchAudioDelta } from './audio-delta-fast-path';
import type { RealtimeClientEvent, RealtimeErrorDetail, RealtimeServerEvent, RealtimeSessionConfig } from './realtime-events';
import type { RealtimeSessionFallbacks } from './session-config';
import { OptionalSessionFeature, refusedFeature, withoutFeature } from './session-degrade';
import { openAiAuthHeaders } from './openai-auth';

/** How the key is sent: `Authorization: Bearer` (OpenAI, Azure with an Entra token) or `api-key` (Azure OpenAI's static keys). */
export type RealtimeAuthScheme = 'bearer' | 'api-key';

export interface RealtimeSessionOptions {
  /** Full WebSocket URL including `?model=`. */
  url: string;
  /** The key; omitted for the embedded simulator. */
  apiKey?: string;
  /** Default `bearer`. */
  auth?: RealtimeAuthScheme;
  /** How long a close may take before the socket is terminated. */
  closeTimeoutMs?: number;
}

export interface RealtimeCloseInfo {
  code: number;
  reason: string;
  /** True when the gateway asked for the close (hang-up), false when OpenAI or the network ended it. */
  initiatedLocally: boolean;
  /** Set when the socket failed (handshake refused, network error). */
  error?: Error;
}

/** What a session reports to its owner. Implementations must not throw. */
export interface RealtimeSessionListener {
  /** The session accepted our configuration (`session.updated`); buffered audio has been flushed. */
  onSessionReady(): void;
  /** The socket to OpenAI opened (before the session is configured). */
  onSessionOpened?(): void;
  onServerEvent(event: RealtimeServerEvent): void;
  /**
   * OpenAI refused an optional part of the configuration (`feature`); the session is being
   * configured again without it, and `config` is what it now runs with.
   */
  onSessionDegraded?(feature: OptionalSessionFeature, config: RealtimeSessionConfig, error: RealtimeErrorDetail): void;
  /**
   * The session was lost mid-call and reconnect number `attempt` is starting (resilient sessions
   * only): a response in flight will never finish.
   */
  onSessionReconnecting?(attempt: number): void;
  /** Called exactly once, whoever closed the socket. */
  onSessionClosed(info: RealtimeCloseInfo): void;
}

const OPEN = WebSocket.OPEN;

/**
 * One OpenAI Realtime (GA) conversation over a raw WebSocket: configures the session,
 * appends caller audio once the session is ready and reports server events.
 * A plain per-call object, made by RealtimeSessionFactory.
 */
export class RealtimeSession {
  private socket?: WebSocket;
  private ready = false;
  private closed = false;
  private closingLocally = false;
  private closeTimer?: NodeJS.Timeout;
  private lastError?: Error;
  private sessionConfig?: RealtimeSessionConfig;
  private fallbacks?: RealtimeSessionFallbacks;
  /** The `event_id` of the last `session.update`: OpenAI echoes it in the `error` that refuses it. */
  private updateEventId?: string;
  private updates = 0;
  private readonly droppedFeatures = new Set<OptionalSessionFeature>();

  constructor(
    private readonly options: RealtimeSessionOptions,
    private readonly listener: RealtimeSessionListener,
    private readonly logger: Logger,
  ) {}

  get isReady(): boolean {
    return this.ready;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Bytes sent but not yet written to the network: grows when OpenAI stops reading. */
  get bufferedAmount(): number {
    return this.socket?.bufferedAmount ?? 0;
  }

  connect(): void {
    const headers = openAiAuthHeaders(this.options.apiKey, this.options.auth);
    const socket = new WebSocket(this.options.url, { headers, perMessageDeflate: false });
    this.socket = socket;
    socket.on('open', () => this.handleOpen());
    socket.on('message', (data: RawData) => this.handleMessage(data));
    socket.on('error', (error: Error) => this.handleSocketError(error));
    socket.on('unexpected-response', (_req, res) => {
      this.lastError = new Error(`OpenAI Realtime refused the connection: HTTP ${res.statusCode}`);
      res.resume();
      socket.terminate();
    });
    socket.on('close', (code: number, reason: Buffer) => this.handleClose(code, reason.toString()));
  }

  /**
   * Sets the session configuration (`session.update`), now if the socket is open, else on open.
   * The session becomes ready when OpenAI confirms it. If OpenAI refuses an optional part of it
   * (transcription, noise reduction, reasoning, semantic VAD), the configuration is sent again
   * without that part, once per part (`fallbacks` says what replaces semantic VAD).
   */
  configure(config: RealtimeSessionConfig, fallbacks?: RealtimeSessionFallbacks): void {
    this.sessionConfig = config;
    this.fallbacks = fallbacks;
    if (this.socket?.readyState === OPEN) this.sendSessionUpdate();
  }

  /**
   * Appends caller audio once the session is configured (before that it would be read as PCM 24 kHz;
   * the owner keeps audio in its pre-ready buffer until `onSessionReady`). Hot path: no parsing, no serialisation.
   */
  appendAudio(base64Audio: string): void {
    if (this.ready) this.sendRaw('{"type":"input_audio_buffer.append","audio":"' + base64Audio + '"}');
  }

  send(event: RealtimeClientEvent): void {
    this.sendRaw(JSON.stringify(event));
  }

  /** Closes the socket (hang-up). Terminates it if OpenAI does not complete the close quickly. */
  close(code = 1000, reason = 'call ended'): void {
    if (this.closed || this.closingLocally) return;
    this.closingLocally = true;
    const socket = this.socket;
    if (!socket) {
      this.finish({ code, reason, initiatedLocally: true });
      return;
    }
    if (socket.readyState === WebSocket.CONNECTING) {
      socket.terminate();
      return;
    }
    socket.close(code, reason);
    this.closeTimer = setTimeout(() => socket.terminate(), this.options.closeTimeoutMs ?? 1000);
    this.closeTimer.unref();
  }

  private sendRaw(payload: string): void {
    const socket = this.socket;
    if (socket && socket.readyState === OPEN) socket.send(payload);
  }

  private handleOpen(): void {
    if (this.sessionConfig) this.sendSessionUpdate();
    this.listener.onSessionOpened?.();
  }

  private sendSessionUpdate(): void {
    this.updateEventId = `gw_session_update_${++this.updates}`;
    this.send({ type: 'session.update', event_id: this.updateEventId, session: this.sessionConfig! });
  }

  /**
   * An `error` that refuses our `session.update` (it echoes its event_id; before the session is
   * ready, one naming a `session.` parameter counts too). Returns true when it was handled here.
   */
  private handleRefusedUpdate(error: RealtimeErrorDetail | undefined): boolean {
    const config = this.sessionConfig;
    if (!config || !error) return false;
    const echoed = error.event_id != null && error.event_id === this.updateEventId;
    const aboutSession = !this.ready && error.event_id == null && typeof error.param === 'string' && error.param.startsWith('session.');
    if (!echoed && !aboutSession) return false;
    const feature = refusedFeature(config, error);
    const detail = { param: error.param, code: error.code, message: error.message };
    if (feature === undefined || this.droppedFeatures.has(feature)) {
      this.logger.error(detail, 'OpenAI refused the session configuration');
      return false;
    }
    this.droppedFeatures.add(feature);
    this.sessionConfig = withoutFeature(config, feature, this.fallbacks);
    this.logger.warn(
      { feature, ...detail },
      feature === 'semantic_vad'
        ? 'OpenAI refused semantic VAD; the call continues with server VAD'
        : `OpenAI refused the session's ${feature}; the call continues without it`,
    );
    this.listener.onSessionDegraded?.(feature, this.sessionConfig, error);
    this.sendSessionUpdate();
    return true;
  }

  private handleMessage(data: RawData): void {
    const text = data.toString();
    // The bulk of the traffic: straight to the owner, no parse and no session-state checks.
    const delta = matchAudioDelta(text);
    if (delta !== undefined) return this.deliver(delta);
    let event: RealtimeServerEvent;
    try {
      event = JSON.parse(text) as RealtimeServerEvent;
    } catch {
      this.logger.warn('ignored a malformed message from OpenAI Realtime');
      return;
    }
    if (event === null || typeof event !== 'object' || typeof event.type !== 'string') {
      this.logger.warn('ignored an OpenAI Realtime message without a type');
      return;
    }
    try {
      if (event.type === 'session.updated' && !this.ready) return this.becomeReady();
      if (event.type === 'error' && this.handleRefusedUpdate(event.error)) return;
    } catch (error) {
      this.logger.error({ err: error, eventType: event.type }, 'failed to handle an OpenAI Realtime event');
      return;
    }
    this.deliver(event);
  }

  private deliver(event: RealtimeServerEvent): void {
    try {
      this.listener.onServerEvent(event);
    } catch (error) {
      this.logger.error({ err: error, eventType: event.type }, 'failed to handle an OpenAI Realtime event');
    }
  }

  private becomeReady(): void {
    this.ready = true;
    this.listener.onSessionReady();
  }

  private handleSocketError(error: Error): void {
    // Keep the first cause: a refused handshake ("HTTP 401") is followed by an abort error.
    this.lastError ??= error;
    if (!this.closingLocally) this.logger.warn({ err: { message: error.message } }, 'OpenAI Realtime socket error');
  }

  private handleClose(code: number, reason: string): void {
    this.finish({ code, reason, initiatedLocally: this.closingLocally, error: this.closingLocally ? undefined : this.lastError });
  }

  private finish(info: RealtimeCloseInfo): void {
    if (this.closed) return;
    this.closed = true;
    this.ready = false;
    if (this.closeTimer) clearTimeout(this.closeTimer);
    try {
      this.listener.onSessionClosed(info);
    } catch (error) {
      this.logger.error({ err: error }, 'failed to handle the OpenAI Realtime close');
    }
  }
}
