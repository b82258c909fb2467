import { Inject, Injectable } from '@nestjs/common';
import { twilioConfig } from '@app/config';
import type { TwilioConfig } from '@app/config';
import twilio from 'twilio';

const TWILIO_API_ORIGIN = 'https://api.twilio.com';

/** twilio-node always calls api.twilio.com; this client sends the same requests to TWILIO_API_BASE_URL. */
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

export interface CreateCallRequest {
  to: string;
  from: string;
  /** Where Twilio fetches TwiML when the call is answered. */
  url: string;
  statusCallback?: string;
  statusCallbackEvent?: string[];
  machineDetection?: 'Enable' | 'DetectMessageEnd';
  timeout?: number;
}

/** The Twilio REST calls the gateway makes (call control, outbound calls), through the `twilio` package. */
@Injectable()
export class TwilioRestClient {
  private client?: twilio.Twilio;

  constructor(@Inject(twilioConfig.KEY) private readonly config: TwilioConfig) {}

  get isConfigured(): boolean {
    return Boolean(this.config.accountSid && this.config.authToken);
  }

  /** Replaces what a live call is doing with new TwiML (e.g. `<Dial>` to transfer, a goodbye). */
  async redirectCall(callSid: string, twiml: string): Promise<void> {
    await this.api().calls(callSid).update({ twiml });
  }

  /** Hangs up a live call. */
  async completeCall(callSid: string): Promise<void> {
    await this.api().calls(callSid).update({ status: 'completed' });
  }

  async createCall(request: CreateCallRequest): Promise<{ sid: string; status: string }> {
    const call = await this.api().calls.create({
      to: request.to,
      from: request.from,
      url: request.url,
      method: 'POST',
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
    this.client ??= twilio(this.config.accountSid, this.config.authToken, {
      httpClient: new BaseUrlRequestClient(this.config.apiBaseUrl),
    });
    return this.client;
  }
}
