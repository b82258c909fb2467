import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import twilio from 'twilio';

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

/** A recording started through the fake (Calls/{sid}/Recordings.json). */
export interface FakeRecording {
  sid: string;
  accountSid: string;
  callSid: string;
  channels: number;
  statusCallback?: string;
  deleted: boolean;
}

/** How a callback is delivered like Twilio: signed with the auth token over the URL the gateway gave, optionally sent elsewhere (another instance). */
export interface FakeCallbackOptions {
  authToken?: string;
  /** Base URL to POST to instead of the callback URL's own (the signature still covers the URL the gateway gave). */
  deliverTo?: string;
}

/**
 * A loopback stand-in for api.twilio.com's Calls and Recordings resources: records every request
 * and answers with Call JSON (201 on create, 200 on update), Recording JSON (201 on create, 204 on
 * delete), or with a Twilio error when told to fail. It also sends the callbacks Twilio would
 * (asynchronous AMD's AnsweredBy, the recording status, a conference's participant joins), form-encoded and signed.
 */
export class FakeTwilioRestApi {
  readonly requests: RecordedTwilioRequest[] = [];
  private failure?: { status: number; code: number; message: string };
  private delayMs = 0;
  private callCounter = 0;
  private recordingCounter = 0;
  /** The form each call was placed with, by CallSid. */
  private readonly placedCalls = new Map<string, Record<string, string | string[]>>();
  readonly recordings: FakeRecording[] = [];

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

  /**
   * Twilio's asynchronous AMD verdict for a call placed through this fake with AsyncAmd: POSTed to
   * its AsyncAmdStatusCallback. Resolves with the gateway's HTTP status.
   */
  async sendAnsweredBy(callSid: string, answeredBy: string, options: FakeCallbackOptions = {}): Promise<number> {
    const form = this.placedCalls.get(callSid);
    const url = form?.AsyncAmdStatusCallback;
    if (typeof url !== 'string' || form?.AsyncAmd !== 'true') throw new Error(`call ${callSid} was not placed with AsyncAmd and a callback`);
    return postSigned(url, { AccountSid: String(this.accountOf(callSid)), CallSid: callSid, AnsweredBy: answeredBy, MachineDetectionDuration: '2400' }, options);
  }

  /** Twilio's recording status callback for a recording started through this fake. Resolves with the gateway's HTTP status. */
  async sendRecordingStatus(
    recordingSid: string,
    status: { status?: string; durationSeconds?: number } & FakeCallbackOptions = {},
  ): Promise<number> {
    const recording = this.recordings.find((r) => r.sid === recordingSid);
    if (!recording?.statusCallback) throw new Error(`recording ${recordingSid} was not started with a RecordingStatusCallback`);
    const form: Record<string, string> = {
      AccountSid: recording.accountSid,
      CallSid: recording.callSid,
      RecordingSid: recording.sid,
      RecordingUrl: `https://api.twilio.com/2010-04-01/Accounts/${recording.accountSid}/Recordings/${recording.sid}`,
      RecordingStatus: status.status ?? 'completed',
      RecordingDuration: String(status.durationSeconds ?? 7),
      RecordingChannels: String(recording.channels),
      RecordingSource: 'StartCallRecordingAPI',
      RecordingStartTime: new Date().toUTCString(),
      ErrorCode: '0',
    };
    return postSigned(recording.statusCallback, form, status);
  }

  /**
   * Twilio's conference status callback for a participant joining the `<Conference>` of `twiml`
   * (the TwiML that asked for it, with `statusCallback` and the `join` event): POSTed to that
   * callback as `StatusCallbackEvent=participant-join` for the call `callSid`. Resolves with the
   * gateway's HTTP status.
   */
  async sendConferenceJoin(twiml: string, callSid: string, options: FakeCallbackOptions & { accountSid?: string } = {}): Promise<number> {
    const conference = /<Conference\b([^>]*)>([^<]+)<\/Conference>/.exec(twiml);
    const attribute = (name: string) => new RegExp(`\\b${name}="([^"]*)"`).exec(conference?.[1] ?? '')?.[1]?.replace(/&amp;/g, '&');
    const url = attribute('statusCallback');
    if (!conference || !url || !(attribute('statusCallbackEvent') ?? '').split(' ').includes('join')) throw new Error('the TwiML has no <Conference> with a join status callback');
    const form: Record<string, string> = {
      AccountSid: options.accountSid ?? this.accountOf(callSid),
      ConferenceSid: 'CF' + createHash('sha256').update(conference[2]).digest('hex').slice(0, 32),
      FriendlyName: conference[2],
      CallSid: callSid,
      StatusCallbackEvent: 'participant-join',
      SequenceNumber: '1',
      Timestamp: new Date().toUTCString(),
      Muted: 'false',
      Hold: 'false',
      Coaching: 'false',
      EndConferenceOnExit: 'true',
      StartConferenceOnEnter: 'true',
    };
    return postSigned(url, form, options);
  }

  private accountOf(callSid: string): string {
    return String(this.placedCalls.get(callSid)?.AccountSid ?? '');
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
      const recordingCreate = /^\/2010-04-01\/Accounts\/([^/]+)\/Calls\/([^/]+)\/Recordings\.json$/.exec(url.pathname);
      const recordingDelete = /^\/2010-04-01\/Accounts\/([^/]+)\/Recordings\/([^/]+)\.json$/.exec(url.pathname);
      if (req.method === 'POST' && recordingCreate) {
        const recording: FakeRecording = {
          sid: 'RE' + String(++this.recordingCounter).padStart(32, '0'),
          accountSid: recordingCreate[1],
          callSid: recordingCreate[2],
          channels: form.RecordingChannels === 'dual' ? 2 : 1,
          statusCallback: typeof form.RecordingStatusCallback === 'string' ? form.RecordingStatusCallback : undefined,
          deleted: false,
        };
        this.recordings.push(recording);
        return reply(201, recordingResource(recording));
      }
      if (req.method === 'DELETE' && recordingDelete) {
        const recording = this.recordings.find((r) => r.sid === recordingDelete[2] && !r.deleted);
        if (!recording) return reply(404, { code: 20404, message: `The requested resource ${url.pathname} was not found`, status: 404 });
        recording.deleted = true;
        res.writeHead(204).end();
        return;
      }
      const create = /^\/2010-04-01\/Accounts\/([^/]+)\/Calls\.json$/.exec(url.pathname);
      const update = /^\/2010-04-01\/Accounts\/([^/]+)\/Calls\/([^/]+)\.json$/.exec(url.pathname);
      if (req.method === 'POST' && create) {
        const sid = 'CA' + String(++this.callCounter).padStart(32, '0');
        this.placedCalls.set(sid, { ...form, AccountSid: create[1] });
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

async function postSigned(url: string, form: Record<string, string>, options: FakeCallbackOptions): Promise<number> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (options.authToken) headers['x-twilio-signature'] = twilio.getExpectedTwilioSignature(options.authToken, url, form);
  const target = options.deliverTo ? options.deliverTo + new URL(url).pathname + new URL(url).search : url;
  const response = await fetch(target, { method: 'POST', headers, body: new URLSearchParams(form) });
  await response.arrayBuffer();
  return response.status;
}

function recordingResource(recording: FakeRecording) {
  return {
    sid: recording.sid,
    account_sid: recording.accountSid,
    call_sid: recording.callSid,
    conference_sid: null,
    channels: recording.channels,
    status: 'in-progress',
    source: 'StartCallRecordingAPI',
    track: 'both',
    start_time: new Date().toUTCString(),
    uri: `/2010-04-01/Accounts/${recording.accountSid}/Recordings/${recording.sid}.json`,
  };
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
