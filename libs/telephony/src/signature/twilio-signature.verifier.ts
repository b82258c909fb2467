import { Inject, Injectable } from '@nestjs/common';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import twilio from 'twilio';
import { TWILIO_OPTIONS } from '../twilio.module-definition';
import type { TwilioModuleOptions } from '../twilio.module-definition';
import { ArrivedRequest, publicBaseUrl } from '../twiml/stream-url';

/**
 * Checks `X-Twilio-Signature` (HMAC-SHA1 with the auth token) with the `twilio` package's
 * validator: HMAC-SHA1 under the auth token over the full URL Twilio called, followed by the POST
 * parameters sorted by name (twilio.com/docs/usage/security). The signed URL is rebuilt from the
 * public URL + path + query: what Twilio called, not what a proxy forwarded.
 */
@Injectable()
export class TwilioSignatureVerifier {
  constructor(@Inject(TWILIO_OPTIONS) private readonly options: TwilioModuleOptions) {}

  /** Signatures are checked (unless switched off explicitly). */
  get enabled(): boolean {
    return this.options.validateSignatures;
  }

  /** Checked, but no auth token to check with: every Twilio request is refused. */
  get refusesEverything(): boolean {
    return this.enabled && !this.options.authToken;
  }

  /** A form-encoded webhook (POST body params, or a GET whose params are in the URL). */
  isValidWebhook(originalUrl: string, request: ArrivedRequest, body: Record<string, unknown> | undefined): boolean {
    if (!this.enabled) return true;
    const signature = signatureOf(request.headers);
    if (!signature || !this.options.authToken) return false;
    const url = publicBaseUrl(this.options, request) + originalUrl;
    return twilio.validateRequest(this.options.authToken, signature, url, body ?? {});
  }

  /** The media-stream WebSocket upgrade: signed over the wss:// URL with no params (a trailing slash is also accepted). */
  isValidUpgrade(request: IncomingMessage): boolean {
    if (!this.enabled) return true;
    const signature = signatureOf(request.headers);
    const token = this.options.authToken;
    if (!signature || !token) return false;
    const url = publicBaseUrl(this.options, request).replace(/^http/, 'ws') + (request.url ?? '/');
    return twilio.validateRequest(token, signature, url, {}) || twilio.validateRequest(token, signature, url + '/', {});
  }
}

function signatureOf(headers: IncomingHttpHeaders): string | undefined {
  const signature = headers['x-twilio-signature'];
  return typeof signature === 'string' && signature.length > 0 ? signature : undefined;
}
