import { Inject, Injectable } from '@nestjs/common';
import twilio from 'twilio';
import { TWILIO_OPTIONS } from '../twilio.module-definition';
import type { TwilioModuleOptions } from '../twilio.module-definition';
import { TWILIO_ROUTES } from '../twilio-routes';
import { CALL_CONTEXT_QUERY } from '../stream-auth/call-context';
import { ArrivedRequest, publicBaseUrl } from '../twiml/stream-url';

const TWILIO_API_ORIGIN = 'https://api.twilio.com';

/** twilio-node always calls api.twilio.com; this client sends the same requests to the configured base URL. */
class BaseUrlRequestClient extends twilio.RequestClient {
  constructor(private readonly baseUrl: string) {
    super({ timeout: 10_000 });
  }

  override request<TData>(opts: Parameters<twilio.RequestClient['request']>[0] & { data?: TData }) {
    if (opts.uri.startsWith(TWILIO_API_ORIGIN)) opts.uri = this.baseUrl + opts.uri.slice(TWILIO_API_ORIGIN.length);
    return super.request<TData>(opts as never);
  }
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
  timeout?: number;
}

/** The Twilio REST calls the gateway makes (call control, outbound calls), through the `twilio` package. */
@Injectable()
export class TwilioRestClient {
  private client?: twilio.Twilio;

  constructor(@Inject(TWILIO_OPTIONS) private readonly options: TwilioModuleOptions) {}

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
    const { sealedContext, ...call } = request;
    const query = sealedContext ? `?${CALL_CONTEXT_QUERY}=${encodeURIComponent(sealedContext)}` : '';
    return this.createCall({
      ...call,
      url: base + TWILIO_ROUTES.incomingCall + query,
      statusCallback: base + TWILIO_ROUTES.callStatus,
    });
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
      ...(request.timeout && { timeout: request.timeout }),
    });
    return { sid: call.sid, status: call.status };
  }

  private api(): twilio.Twilio {
    if (!this.isConfigured) throw new TwilioNotConfiguredError();
    this.client ??= twilio(this.options.accountSid, this.options.authToken, {
      httpClient: new BaseUrlRequestClient(this.options.apiBaseUrl),
    });
    return this.client;
  }
}
