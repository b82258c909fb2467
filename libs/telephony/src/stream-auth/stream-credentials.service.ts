import { Inject, Injectable } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { randomBytes } from 'node:crypto';
import { TWILIO_OPTIONS } from '../twilio.module-definition';
import type { TwilioModuleOptions } from '../twilio.module-definition';
import { CallContext, callContextDigest, CallContextSeal } from './call-context';
import { queryParameter, SOFTPHONE_TOKEN_QUERY } from './stream-origin';
import { StreamTokenCheck, StreamTokenKind, StreamTokens } from './stream-token';

/** The `<Parameter>` (and so `start.customParameters` entry) that carries a stream's token. */
export const STREAM_TOKEN_PARAMETER = 'StreamToken';
/** The softphone's media-stream URL names its call too, so the upgrade can be checked before it happens. */
export const SOFTPHONE_CALL_QUERY = 'call_sid';

/** Between the webhook's answer and the stream's `start` (a welcome `<Say>` plays in between). */
const TWILIO_TOKEN_TTL_MS = 5 * 60_000;
/** Between the console minting a softphone call and the browser opening its stream. */
const SOFTPHONE_TOKEN_TTL_MS = 60_000;

/**
 * What the gateway signs for its calls, with the keys the application derived from its signing
 * secret: the per-call stream tokens (Twilio's, minted by the voice webhook; the softphone's, by
 * the console) and the sealed call context of outbound calls. Stateless: every pod sharing the
 * secret checks what any pod minted.
 */
@Injectable()
export class StreamCredentials {
  private readonly tokens: StreamTokens;
  private readonly contexts: CallContextSeal;

  constructor(@Inject(TWILIO_OPTIONS) options: TwilioModuleOptions) {
    this.tokens = new StreamTokens({ twilio: options.keys.streamToken, softphone: options.keys.softphoneToken });
    this.contexts = new CallContextSeal(options.keys.callContext);
  }

  /** Seals an outbound call's context for its webhook URL; throws CallContextTooLargeError when it cannot fit. */
  sealContext(context: CallContext): string {
    return this.contexts.seal(context);
  }

  openContext(sealed: string | undefined): CallContext | undefined {
    return this.contexts.open(sealed);
  }

  /** The token of the TwiML answering a Twilio call (bound to its CallSid, AccountSid and context). */
  mintTwilioToken(callSid: string, accountSid: string, sealedContext?: string): string {
    return this.tokens.mint('twilio', { callSid, accountSid, contextDigest: callContextDigest(sealedContext) }, TWILIO_TOKEN_TTL_MS).token;
  }

  /** A browser softphone call: its CallSid and the token its stream must present (URL and `start`). */
  mintSoftphoneCall(): { callSid: string; token: string; expiresAt: number } {
    const callSid = 'CA' + randomBytes(16).toString('hex');
    const { token, expiresAt } = this.tokens.mint('softphone', { callSid, accountSid: '', contextDigest: '' }, SOFTPHONE_TOKEN_TTL_MS);
    return { callSid, token, expiresAt };
  }

  /** A softphone's media-stream upgrade: `?softphone_token=…&call_sid=…`, valid and unexpired (used-once is checked at `start`). */
  isSoftphoneUpgrade(request: Pick<IncomingMessage, 'url'>): boolean {
    const token = queryParameter(request.url, SOFTPHONE_TOKEN_QUERY);
    const callSid = queryParameter(request.url, SOFTPHONE_CALL_QUERY);
    if (!token || !callSid) return false;
    return this.tokens.check(token, 'softphone', { callSid, accountSid: '', contextDigest: '' }).ok;
  }

  check(token: string | undefined, kind: StreamTokenKind, callSid: string, accountSid: string, sealedContext: string | undefined): StreamTokenCheck {
    return this.tokens.check(token, kind, { callSid, accountSid, contextDigest: callContextDigest(sealedContext) });
  }
}
