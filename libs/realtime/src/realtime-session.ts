import type { Logger } from 'pino';
import WebSocket, { RawData } from 'ws';
import { matchAudioDelta } from './audio-delta-fast-path';
import { RealtimeClientEvent, RealtimeServerEvent, RealtimeSessionConfig } from './realtime-events';

export interface RealtimeSessionOptions {
  /** Full WebSocket URL including `?model=`. */
  url: string;
  /** Sent as `Authorization: Bearer`; omitted for the embedded simulator. */
  apiKey?: string;
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
  onServerEvent(event: RealtimeServerEvent): void;
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
    const headers: Record<string, string> = {};
    if (this.options.apiKey) headers.Authorization = `Bearer ${this.options.apiKey}`;
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
   * The session becomes ready when OpenAI confirms it.
   */
  configure(config: RealtimeSessionConfig): void {
    this.sessionConfig = config;
    if (this.socket?.readyState === OPEN) this.send({ type: 'session.update', session: config });
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
    if (this.sessionConfig) this.send({ type: 'session.update', session: this.sessionConfig });
  }

  private handleMessage(data: RawData): void {
    const text = data.toString();
    let event: RealtimeServerEvent | undefined = matchAudioDelta(text);
    if (event === undefined) {
      try {
        event = JSON.parse(text) as RealtimeServerEvent;
      } catch {
        this.logger.warn('ignored a malformed message from OpenAI Realtime');
        return;
      }
    }
    if (event === null || typeof event !== 'object' || typeof event.type !== 'string') {
      this.logger.warn('ignored an OpenAI Realtime message without a type');
      return;
    }
    try {
      if (event.type === 'session.updated' && !this.ready) {
        this.becomeReady();
        return;
      }
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
