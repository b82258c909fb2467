import { EventEmitter, once } from 'node:events';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { answerResponsesRequest } from './simulated-responses';
import { SimulatedSession, SimulatedSessionBehaviour } from './simulated-session';

export interface RealtimeSimulatorOptions extends Partial<SimulatedSessionBehaviour> {
  /** Loopback only; the simulator never listens on another address. */
  host?: '127.0.0.1' | '::1';
  port?: number;
  /**
   * When set, the handshake (and the models endpoint) is refused with HTTP 401 unless the key is
   * sent: as `Authorization: Bearer <apiKey>`, or (Azure) also as an `api-key` header.
   */
  apiKey?: string;
  /** When set, every handshake is refused with this HTTP status (to simulate an outage). */
  refuseWithStatus?: number;
  /**
   * Behave like Azure OpenAI's GA endpoint: paths under `/openai/v1` (the Realtime socket at
   * `/openai/v1/realtime?model=<deployment>`), the key in an `api-key` header (or an Entra bearer
   * token), and the models endpoint not knowing deployment names (404).
   */
  azure?: boolean;
  /**
   * The models `GET /v1/models/{id}` knows, with their announced `shutdown_date` (null: none),
   * over the built-in list of current and deprecated Realtime and transcription models.
   */
  modelShutdownDates?: Record<string, string | null>;
}

/** Models the simulated OpenAI knows, with OpenAI's announced shutdown dates (null: none announced). */
export const SIMULATED_MODELS: Readonly<Record<string, string | null>> = {
  'gpt-realtime-2.1': null,
  'gpt-realtime-2.1-mini': null,
  'gpt-realtime-2': null,
  'gpt-realtime-1.5': null,
  'gpt-realtime': '2027-01-20',
  'gpt-realtime-2025-08-28': '2027-01-20',
  'gpt-realtime-mini': '2027-01-20',
  'gpt-realtime-mini-2025-12-15': '2027-01-20',
  'gpt-transcribe': null,
  'gpt-live-transcribe': null,
  'gpt-realtime-whisper': null,
  'whisper-1': '2027-02-26',
  'gpt-4o-transcribe': '2027-02-26',
  'gpt-4o-mini-transcribe': '2027-02-26',
  'gpt-4o-mini-transcribe-2025-12-15': '2027-02-26',
  // Text models (the Responses API).
  'gpt-5.5': null,
  'gpt-5.4': null,
  'gpt-5.4-mini': null,
};

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
  /** Every `GET …/models/{id}` answered, in order: the model asked for, its headers and the status given. */
  readonly modelLookups: Array<{ model: string; headers: IncomingMessage['headers']; status: number }> = [];
  /** Every `POST …/responses` answered, in order: the request body (parsed), its headers and the status given. */
  readonly responseRequests: Array<{ body: any; headers: IncomingMessage['headers']; status: number }> = [];
  private refuseStatus?: number;
  private failingResponses: number[] = [];

  private constructor(
    private readonly http: Server,
    private readonly wss: WebSocketServer,
    private readonly options: RealtimeSimulatorOptions,
  ) {
    super();
    this.refuseStatus = options.refuseWithStatus;
  }

  static async start(options: RealtimeSimulatorOptions = {}): Promise<RealtimeSimulator> {
    const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
    let simulator: RealtimeSimulator | undefined;
    const http = createServer((req, res) => simulator!.handleRequest(req, res));
    simulator = new RealtimeSimulator(http, wss, options);
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
    return `ws://${host}:${this.port}${this.basePath}/realtime`;
  }

  /** `/v1`, or Azure's `/openai/v1`. */
  private get basePath(): string {
    return this.options.azure ? '/openai/v1' : '/v1';
  }

  /** Makes every later handshake fail with this HTTP status (undefined to accept again). */
  refuseConnections(status: number | undefined): void {
    this.refuseStatus = status;
  }

  /** The next `POST …/responses` requests are answered with these HTTP statuses (an OpenAI error body), in order. */
  failResponses(...statuses: number[]): void {
    this.failingResponses.push(...statuses);
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

  /** OpenAI takes `Authorization: Bearer`; Azure OpenAI also an `api-key` header. */
  private isAuthorized(req: IncomingMessage): boolean {
    const key = this.options.apiKey;
    if (!key) return true;
    return req.headers.authorization === `Bearer ${key}` || (this.options.azure === true && req.headers['api-key'] === key);
  }

  /** Plain HTTP: `GET {base}/models/{id}` like OpenAI's Retrieve model, `POST {base}/responses` like the Responses API; anything else asks for a WebSocket. */
  private handleRequest(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'POST' && url.pathname === `${this.basePath}/responses`) return this.handleResponses(req, res);
    const prefix = `${this.basePath}/models/`;
    if (req.method !== 'GET' || !url.pathname.startsWith(prefix)) {
      res.writeHead(426, { 'content-type': 'text/plain' }).end('Upgrade to a WebSocket\n');
      return;
    }
    const model = decodeURIComponent(url.pathname.slice(prefix.length));
    const answer = (status: number, body: unknown) => {
      this.modelLookups.push({ model, headers: req.headers, status });
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (!this.isAuthorized(req)) {
      return answer(401, { error: { message: 'Incorrect API key provided.', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } });
    }
    const known = { ...SIMULATED_MODELS, ...this.options.modelShutdownDates };
    if (!Object.hasOwn(known, model)) {
      return answer(404, { error: { message: `The model '${model}' does not exist or you do not have access to it.`, type: 'invalid_request_error', param: null, code: 'model_not_found' } });
    }
    answer(200, { id: model, object: 'model', created: 1_764_000_000, owned_by: 'system', shutdown_date: known[model] });
  }

  private handleResponses(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch {
        parsed = raw;
      }
      const answer = (status: number, body: unknown) => {
        this.responseRequests.push({ body: parsed, headers: req.headers, status });
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      if (!this.isAuthorized(req)) {
        return answer(401, { error: { message: 'Incorrect API key provided.', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } });
      }
      const failure = this.failingResponses.shift();
      if (failure !== undefined) {
        return answer(failure, { error: { message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error', param: null, code: null } });
      }
      const known = { ...SIMULATED_MODELS, ...this.options.modelShutdownDates };
      const { status, body } = answerResponsesRequest(raw, (model) => Object.hasOwn(known, model));
      answer(status, body);
    });
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
    if (url.pathname !== `${this.basePath}/realtime`) return reject(404, 'Not Found');
    if (!this.isAuthorized(req)) return reject(401, 'Unauthorized');
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
