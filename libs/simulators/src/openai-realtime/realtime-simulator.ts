import { EventEmitter, once } from 'node:events';
import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { SimulatedSession, SimulatedSessionBehaviour } from './simulated-session';

export interface RealtimeSimulatorOptions extends Partial<SimulatedSessionBehaviour> {
  /** Loopback only; the simulator never listens on another address. */
  host?: '127.0.0.1' | '::1';
  port?: number;
  /** When set, the handshake is refused with HTTP 401 unless `Authorization: Bearer <apiKey>` is sent. */
  apiKey?: string;
  /** When set, every handshake is refused with this HTTP status (to simulate an outage). */
  refuseWithStatus?: number;
}

/**
 * A local server that speaks the OpenAI Realtime (GA) WebSocket protocol faithfully enough to run
 * whole calls against: session lifecycle, server VAD on the appended µ-law, input transcription,
 * audio responses faster than real time, truncation, cancellation, function calls, errors and closes.
 * Used by the tests and as the gateway's embedded default when no OpenAI key is configured.
 */
export class RealtimeSimulator extends EventEmitter {
  readonly sessions: SimulatedSession[] = [];
  /** Handshakes refused because of `refuseConnections` / `refuseWithStatus`. */
  refusedHandshakes = 0;
  private refuseStatus?: number;

  private constructor(
    private readonly http: Server,
    private readonly wss: WebSocketServer,
    private readonly options: RealtimeSimulatorOptions,
  ) {
    super();
    this.refuseStatus = options.refuseWithStatus;
  }

  static async start(options: RealtimeSimulatorOptions = {}): Promise<RealtimeSimulator> {
    const http = createServer((_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain' }).end('Upgrade to a WebSocket\n');
    });
    const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
    const simulator = new RealtimeSimulator(http, wss, options);
    http.on('upgrade', (req, socket, head) => simulator.handleUpgrade(req, socket as import('node:net').Socket, head));
    http.listen(options.port ?? 0, options.host ?? '127.0.0.1');
    await once(http, 'listening');
    return simulator;
  }

  get port(): number {
    return (this.http.address() as AddressInfo).port;
  }

  /** Base URL to configure as OPENAI_REALTIME_URL (the gateway appends `?model=`). */
  get url(): string {
    const host = this.options.host === '::1' ? '[::1]' : '127.0.0.1';
    return `ws://${host}:${this.port}/v1/realtime`;
  }

  /** Makes every later handshake fail with this HTTP status (undefined to accept again). */
  refuseConnections(status: number | undefined): void {
    this.refuseStatus = status;
  }

  /** Resolves with the next session that connects (or the n-th session overall when given). */
  async nextSession(index?: number, timeoutMs = 5000): Promise<SimulatedSession> {
    const wanted = index ?? this.sessions.length;
    if (this.sessions[wanted]) return this.sessions[wanted];
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('session', onSession);
        reject(new Error(`no OpenAI session #${wanted} within ${timeoutMs} ms`));
      }, timeoutMs);
      const onSession = () => {
        if (!this.sessions[wanted]) return;
        clearTimeout(timer);
        this.off('session', onSession);
        resolve(this.sessions[wanted]);
      };
      this.on('session', onSession);
    });
  }

  async close(): Promise<void> {
    for (const session of this.sessions) session.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  private handleUpgrade(req: IncomingMessage, socket: import('node:net').Socket, head: Buffer): void {
    const reject = (status: number, message: string) => {
      socket.end(`HTTP/1.1 ${status} ${message}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n`);
    };
    if (this.refuseStatus) {
      this.refusedHandshakes++;
      return reject(this.refuseStatus, 'Service Unavailable');
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/v1/realtime') return reject(404, 'Not Found');
    if (this.options.apiKey && req.headers.authorization !== `Bearer ${this.options.apiKey}`) {
      return reject(401, 'Unauthorized');
    }
    this.wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      const session = new SimulatedSession(ws, {
        model: url.searchParams.get('model') ?? 'gpt-realtime',
        headers: req.headers,
        behaviour: this.options,
        index: this.sessions.length,
      });
      this.sessions.push(session);
      this.emit('session', session);
    });
  }
}
