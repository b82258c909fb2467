import { Inject, Injectable, Optional } from '@nestjs/common';
import { GatewayTracing } from '@app/tracing';
import twilio from 'twilio';
import { TWILIO_OPTIONS } from '../twilio.module-definition';
import type { TwilioModuleOptions } from '../twilio.module-definition';
import { TWILIO_ROUTES } from '../twilio-routes';
import { CALL_CONTEXT_QUERY } from '../stream-auth/call-context';
import { ArrivedRequest, publicBaseUrl } from '../twiml/stream-url';

const TWILIO_API_ORIGIN = 'https://api.twilio.com';

/** twilio-node always calls api.twilio.com; this client sends the same requests to the configured base URL. */
class BaseUrlRequestClient extends twilio.RequestClient {
  constructor(
    private readonly baseUrl: string,
    private readonly tracing: GatewayTracing | undefined,
  ) {
    super({ timeout: 10_000 });
  }

  /** Every REST request goes through here: one `twilio.rest` span each (method, resource, status). */
  override async request<TData>(opts: Parameters<twilio.RequestClient['request']>[0] & { data?: TData }) {
    if (opts.uri.startsWith(TWILIO_API_ORIGIN)) opts.uri = this.baseUrl + opts.uri.slice(TWILIO_API_ORIGIN.length);
    if (!this.tracing?.enabled) return super.request<TData>(opts as never);
    const path = new URL(opts.uri).pathname;
    const callSid = /\/Calls\/(CA[0-9a-zA-Z]+)/.exec(path)?.[1];
    const method = (opts.method ?? 'GET').toUpperCase();
    const span = this.tracing.startSpan('twilio.rest', {
      callSid,
      kind: 'client',
      attributes: { 'http.request.method': method, 'twilio.resource': restResource(path), 'call.sid': callSid },
    });
    try {
      const response = await super.request<TData>(opts as never);
      span.setAttribute('http.response.status_code', response.statusCode);
      if (response.statusCode >= 400) span.setError(`HTTP ${response.statusCode}`);
      return response;
    } catch (error) {
      span.setError(error instanceof Error ? error.name : 'request failed');
      throw error;
    } finally {
      span.end();
    }
  }
}

/** A REST path with its ids replaced, e.g. `/2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json`. */
export function restResource(path: string): string {
  return path
    .replace(/\/Accounts\/AC[0-9a-zA-Z]+/, '/Accounts/{AccountSid}')
    .replace(/\/Calls\/CA[0-9a-zA-Z]+/, '/Calls/{CallSid}')
    .replace(/\/Recordings\/RE[0-9a-zA-Z]+/, '/Recordings/{RecordingSid}')
    .replace(/\/([A-Z]{2}[0-9a-f]{32})(?=[/.]|$)/g, '/{Sid}');
}

export class TwilioNotConfiguredError extends Error {
  constructor() {
    super('Twilio REST calls need TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN');
    this.name = 'TwilioNotConfiguredError';
  }
}

/** An outbound call that runs like an inbound one once answered. */
export interface PlaceCallRequest {
  to: string;
  from: string;
  machineDetection?: CreateCallRequest['machineDetection'];
  /** The call's context sealed by StreamCredentials.sealContext: it travels in the webhook URL, signed by Twilio. */
  sealedContext?: string;
  /**
   * Twilio's asynchronous answering-machine detection (MachineDetection=DetectMessageEnd, AsyncAmd):
   * the call connects at once and AnsweredBy arrives at the gateway's AMD callback.
   */
  asyncAmd?: boolean;
}

/**
 * The request a call is placed from: without PUBLIC_URL the gateway's URL is the address it
 * arrived at (or, only when trusted, its proxy headers).
 */
export type RequestOrigin = ArrivedRequest;

export interface CreateCallRequest {
  to: string;
  from: string;
  /** Where Twilio fetches TwiML when the call is answered (or `twiml`: the TwiML itself). */
  url?: string;
  twiml?: string;
  statusCallback?: string;
  statusCallbackEvent?: string[];
  machineDetection?: 'Enable' | 'DetectMessageEnd';
  /** With machineDetection: where Twilio POSTs AnsweredBy (asynchronous detection). */
  asyncAmdStatusCallback?: string;
  timeout?: number;
}

/** A recording Twilio started. */
export interface StartedRecording {
  sid: string;
  /** The recording's resource URL at Twilio (the media is at this URL without `.json`). */
  url: string;
  channels: number;
  status: string;
}

/** The Twilio REST calls the gateway makes (call control, outbound calls, recordings), through the `twilio` package. */
@Injectable()
export class TwilioRestClient {
  private client?: twilio.Twilio;

  constructor(
    @Inject(TWILIO_OPTIONS) private readonly options: TwilioModuleOptions,
    @Optional() private readonly tracing?: GatewayTracing,
  ) {}

  get isConfigured(): boolean {
    return Boolean(this.options.accountSid && this.options.authToken);
  }

  /** The default `from` number of outbound calls, when one is configured. */
  get defaultFromNumber(): string | undefined {
    return this.options.phoneNumber;
  }

  /** Replaces what a live call is doing with new TwiML (e.g. `<Dial>` to transfer, a goodbye). */
  async redirectCall(callSid: string, twiml: string): Promise<void> {
    await this.api().calls(callSid).update({ twiml });
  }

  /** Hangs up a live call. */
  async completeCall(callSid: string): Promise<void> {
    await this.api().calls(callSid).update({ status: 'completed' });
  }

  /**
   * The public base URL Twilio reaches this gateway at (PUBLIC_URL, or as the request `origin` arrived),
   * for callback URLs.
   */
  publicBaseUrl(origin: RequestOrigin): string {
    return publicBaseUrl(this.options, origin);
  }

  /**
   * Places an outbound call: when it is answered Twilio fetches the gateway's voice webhook (so the
   * call connects to the media stream like an inbound one) and reports its status to the gateway's
   * status callback.
   */
  placeCall(request: PlaceCallRequest, origin: RequestOrigin): Promise<{ sid: string; status: string }> {
    const base = publicBaseUrl(this.options, origin);
    const { sealedContext, asyncAmd, ...call } = request;
    const query = sealedContext ? `?${CALL_CONTEXT_QUERY}=${encodeURIComponent(sealedContext)}` : '';
    return this.createCall({
      ...call,
      ...(asyncAmd && { machineDetection: 'DetectMessageEnd', asyncAmdStatusCallback: base + TWILIO_ROUTES.amdStatus }),
      url: base + TWILIO_ROUTES.incomingCall + query,
      statusCallback: base + TWILIO_ROUTES.callStatus,
    });
  }

  /**
   * Starts a dual-channel recording of a live call (the caller on one channel, the assistant on the
   * other); Twilio reports it to the gateway's recording status callback when it is complete (or
   * absent). `origin`: the request the gateway's public URL is learnt from, as for placeCall.
   */
  async startRecording(callSid: string, origin: RequestOrigin): Promise<StartedRecording> {
    const recording = await this.api()
      .calls(callSid)
      .recordings.create({
        recordingChannels: 'dual',
        recordingStatusCallback: publicBaseUrl(this.options, origin) + TWILIO_ROUTES.recordingStatus,
        recordingStatusCallbackMethod: 'POST',
        recordingStatusCallbackEvent: ['completed', 'absent'],
      });
    return {
      sid: recording.sid,
      url: recording.uri ? `${TWILIO_API_ORIGIN}${recording.uri.replace(/\.json$/, '')}` : '',
      channels: Number(recording.channels) || 2,
      status: recording.status ?? 'in-progress',
    };
  }

  /** Deletes a recording at Twilio; one that is already gone (404) counts as deleted. */
  async deleteRecording(recordingSid: string): Promise<void> {
    try {
      await this.api().recordings(recordingSid).remove();
    } catch (error) {
      if ((error as { status?: number }).status === 404) return;
      throw error;
    }
  }

  async createCall(request: CreateCallRequest): Promise<{ sid: string; status: string }> {
    const call = await this.api().calls.create({
      to: request.to,
      from: request.from,
      ...(request.twiml !== undefined ? { twiml: request.twiml } : { url: request.url, method: 'POST' }),
      ...(request.statusCallback && {
        statusCallback: request.statusCallback,
        statusCallbackMethod: 'POST',
        statusCallbackEvent: request.statusCallbackEvent ?? ['initiated', 'ringing', 'answered', 'completed'],
      }),
      ...(request.machineDetection && { machineDetection: request.machineDetection }),
      ...(request.machineDetection &&
        request.asyncAmdStatusCallback && { asyncAmd: 'true', asyncAmdStatusCallback: request.asyncAmdStatusCallback, asyncAmdStatusCallbackMethod: 'POST' }),
      ...(request.timeout && { timeout: request.timeout }),
    });
    return { sid: call.sid, status: call.status };
  }

  private api(): twilio.Twilio {
    if (!this.isConfigured) throw new TwilioNotConfiguredError();
    this.client ??= twilio(this.options.accountSid, this.options.authToken, {
      httpClient: new BaseUrlRequestClient(this.options.apiBaseUrl, this.tracing),
    });
    return this.client;
  }
}
