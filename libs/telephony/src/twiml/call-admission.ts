/** The answer to "may this process take one more call?". */
export type AdmissionDecision = { admitted: true } | { admitted: false; reason: string; message: string };

/**
 * Decides whether a new call is connected to the media stream or refused politely (e.g. while the
 * process drains or is at capacity). Optional: without a provider every call is admitted.
 */
export abstract class CallAdmission {
  abstract admit(): AdmissionDecision;
}
