/** The answer to "may this process take one more call?". */
export type AdmissionDecision = { admitted: true } | { admitted: false; reason: string; message: string };

/**
 * Decides whether a new call is connected to the media stream or refused politely (e.g. while the
 * process drains or is at capacity). Optional: without a provider every call is admitted.
 */
export abstract class CallAdmission {
  abstract admit(): AdmissionDecision;

  /**
   * Whether one more media stream may start. Streams of calls whose TwiML was already answered are
   * still served while draining; only a stream beyond the process's capacity is refused.
   */
  admitStream(): boolean {
    return true;
  }
}
