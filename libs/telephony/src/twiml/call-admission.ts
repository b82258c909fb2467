import type { MediaStreamStart } from '../media-stream/twilio-frames';

/** The answer to "may this process take one more call?". */
export type AdmissionDecision = { admitted: true } | { admitted: false; reason: string; message: string };

/** What the voice webhook knows of a call when admission decides (from Twilio's form). */
export interface IncomingCallInfo {
  callSid?: string;
}

/** How a stream refused at `start` was ended: redirected through Twilio's REST API to the refusal, or closed. */
export type StreamRefusal = 'redirected' | 'closed';

/**
 * Decides whether a call is connected to the media stream or refused politely, where the caller
 * can still be told: at the voice webhook (TwiML that says the refusal), and at the stream's
 * `start` (a stream that must still be refused is redirected to the refusal through Twilio's REST
 * API). Optional: without a provider every call is admitted.
 */
export abstract class CallAdmission {
  abstract admit(call: IncomingCallInfo): AdmissionDecision | Promise<AdmissionDecision>;

  /**
   * Whether a stream that sent a valid `start` is served (before any OpenAI session). Synchronous,
   * so two streams starting at once cannot both take the last place. Streams of calls whose TwiML
   * was already answered are still served while draining; only a stream beyond the process's
   * capacity is refused.
   */
  admitStream(_start: MediaStreamStart): AdmissionDecision {
    return { admitted: true };
  }

  /** Told how a refused stream was ended (for metrics). */
  streamRefused(_start: MediaStreamStart, _how: StreamRefusal): void {}
}
