import { Inject, Injectable, Logger } from '@nestjs/common';
import { parseTraceParent, TRACEPARENT_PARAMETER } from '@app/tracing';
import { TWILIO_OPTIONS } from '../twilio.module-definition';
import type { TwilioModuleOptions } from '../twilio.module-definition';
import type { MediaStreamStart, ReceivedStart } from '../media-stream/twilio-frames';
import { CALL_CONTEXT_PARAMETER, sealedContextFrom } from './call-context';
import { StreamClaims } from './stream-claims';
import { STREAM_TOKEN_PARAMETER, StreamCredentials } from './stream-credentials.service';
import type { StreamOrigin } from './stream-origin';

/** Why a stream's `start` was refused (a bounded set: it labels a metric). */
export const STREAM_REFUSAL_REASONS = [
  'no-token',
  'malformed-token',
  'wrong-kind',
  'wrong-account',
  'not-valid-for-call',
  'expired',
  'bad-context',
  'already-used',
  'claim-failed',
] as const;
export type StreamRefusalReason = (typeof STREAM_REFUSAL_REASONS)[number];

export type StartVerdict =
  | { accepted: true; start: MediaStreamStart; release: () => void }
  | { accepted: false; reason: StreamRefusalReason };

/**
 * Decides whether a media stream's `start` may become a call, before anything is counted, any
 * OpenAI session opens or Twilio's REST API is called for it: the stream token in its parameters
 * must be of the kind its upgrade proved (Twilio's, or the softphone's), signed for this very
 * CallSid, AccountSid and call context, unexpired, never used before, and the call must have no
 * other live stream. The AccountSid must be the configured one. Refusals are logged and counted.
 */
@Injectable()
export class StreamStartVerifier {
  private readonly logger = new Logger('MediaStream');
  private readonly refused = new Map<StreamRefusalReason, number>(STREAM_REFUSAL_REASONS.map((reason) => [reason, 0]));

  constructor(
    private readonly credentials: StreamCredentials,
    private readonly claims: StreamClaims,
    @Inject(TWILIO_OPTIONS) private readonly options: TwilioModuleOptions,
  ) {}

  /** Refused starts so far, by reason (for metrics). */
  get refusals(): ReadonlyMap<StreamRefusalReason, number> {
    return this.refused;
  }

  verify(received: ReceivedStart, origin: StreamOrigin): StartVerdict | Promise<StartVerdict> {
    const parameters = received.customParameters;
    const token = parameters[STREAM_TOKEN_PARAMETER];
    if (!token) return this.refuse('no-token', received, origin);
    const twilio = origin === 'twilio';
    const expectedAccount = this.options.accountSid;
    if (twilio && expectedAccount && received.accountSid !== expectedAccount) return this.refuse('wrong-account', received, origin);
    const sealed = twilio ? sealedContextFrom(parameters) : undefined;
    const check = this.credentials.check(token, origin, received.callSid, twilio ? received.accountSid : '', sealed);
    if (!check.ok) return this.refuse(check.reason, received, origin);
    const context = sealed === undefined ? undefined : this.credentials.openContext(sealed);
    if (sealed !== undefined && !context) return this.refuse('bad-context', received, origin);

    const start: MediaStreamStart = { ...received, customParameters: withoutCredentials(parameters), origin, context };
    // Not a credential, bound to nothing: only a well-formed one continues the webhook's trace.
    const traceParent = parameters[TRACEPARENT_PARAMETER];
    if (parseTraceParent(traceParent)) start.traceParent = traceParent;
    const accept = (claimed: boolean): StartVerdict => {
      if (!claimed) return this.refuse('already-used', received, origin);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        this.claims.release(received.callSid);
      };
      return { accepted: true, start, release };
    };
    let claimed: Promise<boolean> | boolean;
    try {
      claimed = this.claims.claim(received.callSid, check.id, Math.max(1000, check.expiresAt - Date.now()));
    } catch (error) {
      return this.claimFailed(error, received, origin);
    }
    if (typeof claimed === 'boolean') return accept(claimed);
    return claimed.then(accept, (error: unknown) => this.claimFailed(error, received, origin));
  }

  private claimFailed(error: unknown, received: ReceivedStart, origin: StreamOrigin): StartVerdict {
    this.logger.error(`cannot check whether the stream token was used: ${error instanceof Error ? error.message : String(error)}`);
    return this.refuse('claim-failed', received, origin);
  }

  private refuse(reason: StreamRefusalReason, received: ReceivedStart, origin: StreamOrigin): StartVerdict {
    this.refused.set(reason, (this.refused.get(reason) ?? 0) + 1);
    this.logger.warn(`media stream refused at start (${reason}): ${origin} stream claiming call ${printable(received.callSid)}`);
    return { accepted: false, reason };
  }
}

/** What the call sees of the stream's parameters: the credentials are the transport's business. */
function withoutCredentials(parameters: Readonly<Record<string, string>>): Record<string, string> {
  const visible: Record<string, string> = {};
  for (const [name, value] of Object.entries(parameters)) {
    if (name === STREAM_TOKEN_PARAMETER || name === TRACEPARENT_PARAMETER || name.startsWith(`${CALL_CONTEXT_PARAMETER}.`)) continue;
    visible[name] = value;
  }
  return visible;
}

/** A CallSid as the attacker sent it, safe for a log line. */
function printable(callSid: string): string {
  return JSON.stringify(callSid.slice(0, 40).replace(/[^\x20-\x7e]/g, '?'));
}
