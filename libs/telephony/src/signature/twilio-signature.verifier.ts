import { Inject, Injectable } from '@nestjs/common';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import twilio from 'twilio';
import { TWILIO_OPTIONS } from '../twilio.module-definition';
import type { TwilioModuleOptions } from '../twilio.module-definition';
import { publicBaseUrl } from '../twiml/stream-url';

/**
 * Checks `X-Twilio-Signature` (HMAC-SHA1 with the auth token) with the `twilio` package's
 * validator: HMAC-SHA1 under the auth token over the full URL Twilio called, followed by the POST
 * parameters sorted by name (twilio.com/docs/usage/security). The signed URL is rebuilt from the
 * public URL + path + query: what Twilio called, not what a proxy forwarded.
 */
@Injectable()
export class TwilioSignatureVerifier {
  constructor(@Inject(TWILIO_OPTIONS) private readonly options: TwilioModuleOptions) {}

  /** Validation is on whenever an auth token is configured. */
  get enabled(): boolean {
    return Boolean(this.options.authToken) && this.options.validateSignatures !== false;
  }

  /** A form-encoded webhook (POST body params, or a GET whose params are in the URL). */
  isValidWebhook(originalUrl: string, headers: IncomingHttpHeaders, encrypted: boolean, body: Record<string, unknown> | undefined): boolean {
    if (!this.enabled) return true;
    const signature = headers['x-twilio-signature'];
    if (typeof signature !== 'string' || signature.length === 0) return false;
    const url = this.publicBase(headers, encrypted) + originalUrl;
    return twilio.validateRequest(this.options.authToken!, signature, url, body ?? {});
  }

  /** The media-stream WebSocket upgrade: signed over the wss:// URL with no params (a trailing slash is also accepted). */
  isValidUpgrade(request: IncomingMessage): boolean {
    if (!this.enabled) return true;
    const signature = request.headers['x-twilio-signature'];
    if (typeof signature !== 'string' || signature.length === 0) return false;
    const url = this.publicBase(request.headers, false).replace(/^http/, 'ws') + (request.url ?? '/');
    const token = this.options.authToken!;
    return twilio.validateRequest(token, signature, url, {}) || twilio.validateRequest(token, signature, url + '/', {});
  }

  private publicBase(headers: IncomingHttpHeaders, encrypted: boolean): string {
    return publicBaseUrl(this.options.publicUrl, headers, encrypted);
  }
}
