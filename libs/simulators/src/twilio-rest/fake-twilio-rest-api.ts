import { once } from 'node:events';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

export interface RecordedTwilioRequest {
  method: string;
  path: string;
  /** Decoded `AccountSid:AuthToken` from Basic auth. */
  basicAuth?: string;
  contentType?: string;
  /** Form fields; repeated keys become arrays. */
  form: Record<string, string | string[]>;
  at: number;
}

/**
 * A loopback stand-in for api.twilio.com's Calls resource: records every request and answers with
 * Call JSON (201 on create, 200 on update), or with a Twilio error when told to fail.
 */
export class FakeTwilioRestApi {
  readonly requests: RecordedTwilioRequest[] = [];
  private failure?: { status: number; code: number; message: string };
  private delayMs = 0;
  private callCounter = 0;

  private constructor(private readonly server: Server) {}

  static async start(): Promise<FakeTwilioRestApi> {
    let api!: FakeTwilioRestApi;
    const server = createServer((req, res) => api.handle(req, res));
    api = new FakeTwilioRestApi(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return api;
  }

  /** Value for TWILIO_API_BASE_URL. */
  get baseUrl(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Makes every later request fail with this Twilio error (undefined to succeed again). */
  failWith(failure: { status: number; code: number; message: string } | undefined): void {
    this.failure = failure;
  }

  /** Answers every later request only after `ms` (0 to answer at once again), as a slow Twilio would. */
  delayResponses(ms: number): void {
    this.delayMs = ms;
  }

  /** Resolves once a request matching the predicate has arrived. */
  async waitForRequest(predicate: (r: RecordedTwilioRequest) => boolean, timeoutMs = 5000): Promise<RecordedTwilioRequest> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.requests.find(predicate);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no matching Twilio REST request within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const form: Record<string, string | string[]> = {};
      for (const [key, value] of new URLSearchParams(Buffer.concat(chunks).toString())) {
        const existing = form[key];
        form[key] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
      }
      const auth = req.headers.authorization;
      this.requests.push({
        method: req.method ?? 'GET',
        path: url.pathname,
        basicAuth: auth?.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString() : undefined,
        contentType: req.headers['content-type'],
        form,
        at: Date.now(),
      });
      const delayMs = this.delayMs;
      const reply = (status: number, body: unknown) => {
        const send = () => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        if (delayMs > 0) setTimeout(send, delayMs);
        else send();
      };
      if (this.failure) {
        const { status, code, message } = this.failure;
        return reply(status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });
      }
      const create = /^\/2010-04-01\/Accounts\/([^/]+)\/Calls\.json$/.exec(url.pathname);
      const update = /^\/2010-04-01\/Accounts\/([^/]+)\/Calls\/([^/]+)\.json$/.exec(url.pathname);
      if (req.method === 'POST' && create) {
        const sid = 'CA' + String(++this.callCounter).padStart(32, '0');
        return reply(201, callResource(create[1], sid, form, 'queued'));
      }
      if (req.method === 'POST' && update) {
        const status = form.Status === 'completed' ? 'completed' : 'in-progress';
        return reply(200, callResource(update[1], update[2], form, status));
      }
      reply(404, { code: 20404, message: 'The requested resource was not found', status: 404 });
    });
  }
}

function callResource(accountSid: string, sid: string, form: Record<string, string | string[]>, status: string) {
  return {
    sid,
    account_sid: accountSid,
    to: form.To ?? '+15550000000',
    from: form.From ?? '+15550000001',
    status,
    direction: 'outbound-api',
    uri: `/2010-04-01/Accounts/${accountSid}/Calls/${sid}.json`,
  };
}
