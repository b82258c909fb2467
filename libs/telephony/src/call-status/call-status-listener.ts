/** What Twilio's status callbacks said about a call (only what they said). */
export interface TwilioCallStatus {
  /** Final status: completed, busy, failed, no-answer or canceled. */
  status?: string;
  /** ISO-8601 UTC. */
  answeredAt?: string;
  endedAt?: string;
  /** Twilio's CallDuration (whole seconds, billed). */
  durationSec?: number;
  /** Twilio's answering-machine detection verdict (AnsweredBy), for calls placed with it. */
  answeredBy?: AnsweredBy;
  /** The call's recording, as Twilio's recording status callback reported it. */
  recording?: TwilioRecordingStatus;
}

/** Twilio's AnsweredBy values (with MachineDetection=DetectMessageEnd, the three `machine_end_*` follow `machine_start`). */
export const ANSWERED_BY_VALUES = ['human', 'machine_start', 'machine_end_beep', 'machine_end_silence', 'machine_end_other', 'fax', 'unknown'] as const;
export type AnsweredBy = (typeof ANSWERED_BY_VALUES)[number];

/** A call recording as Twilio reports it (RecordingSid, RecordingUrl, RecordingDuration, RecordingChannels, RecordingStatus). */
export interface TwilioRecordingStatus {
  sid: string;
  url: string;
  durationSeconds?: number;
  channels: number;
  /** `in-progress` (started), `completed`, `absent` (nothing recorded) or `failed`. */
  status: string;
}

/**
 * Receives the call status callbacks Twilio sends for the calls the gateway places (e.g. the call
 * records, which fold them in). An abstract class so it can be used as the injection token.
 */
export abstract class CallStatusListener {
  /** Rejecting makes the callback answer 503 (Twilio retries only if configured to). */
  abstract onCallStatus(callSid: string, status: TwilioCallStatus): Promise<void>;
}

/**
 * Receives Twilio's answering-machine verdicts for live calls (e.g. to route them to the instance
 * holding the call's stream). An abstract class so it can be used as the injection token.
 */
export abstract class AnsweringMachineListener {
  abstract onAnsweredBy(callSid: string, answeredBy: AnsweredBy): void;
}
