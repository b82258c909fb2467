import type { CallContext } from '../stream-auth/call-context';

/** What the voice webhook knows of a call when it picks the words said before the stream. */
export interface DisclosedCall {
  callSid: string;
  /** The dialled number (Twilio's `To`). */
  to?: string;
  /** An outbound call's context (its profile). */
  context?: CallContext;
}

/**
 * What the caller must hear before the assistant (e.g. "this call is recorded"), said with `<Say>`
 * in the voice webhook's TwiML before the stream connects. Optional: without a provider nothing is said.
 */
export abstract class CallDisclosure {
  /** The text to say, or undefined for nothing. */
  abstract disclosureFor(call: DisclosedCall): string | undefined;
}
