/** What Twilio's status callbacks said about a call (only what they said). */
export interface TwilioCallStatus {
  /** Final status: completed, busy, failed, no-answer or canceled. */
  status?: string;
  /** ISO-8601 UTC. */
  answeredAt?: string;
  endedAt?: string;
  /** Twilio's CallDuration (whole seconds, billed). */
  durationSec?: number;
}

/**
 * Receives the call status callbacks Twilio sends for the calls the gateway places (e.g. the call
 * records, which fold them in). An abstract class so it can be used as the injection token.
 */
export abstract class CallStatusListener {
  /** Rejecting makes the callback answer 503 (Twilio retries only if configured to). */
  abstract onCallStatus(callSid: string, status: TwilioCallStatus): Promise<void>;
}
