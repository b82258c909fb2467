/**
 * How a transfer hands the caller over: `blind` redirects the call to the number at once; `warm`
 * keeps the caller on hold with the assistant while a human is dialled, told a summary, and asked
 * to accept; `any` lets the model choose (warm when it does not say).
 */
export type TransferModeSetting = 'blind' | 'warm' | 'any';

/** A number transfer_call may dial, offered to the model by its name only. */
export interface TransferDestination {
  name: string;
  number: string;
  /** This destination's transfer mode; undefined: the default (`transferMode`). */
  mode?: TransferModeSetting;
}

/** How warm transfers reach the human. */
export interface WarmTransferOptions {
  /** What the assistant tells the caller before the hold (one short sentence). */
  holdMessage: string;
  /** How long the human's phone rings (Twilio's `Timeout`, seconds). */
  ringTimeoutS: number;
  /** How long the human has to press a key after the summary (the `<Gather>` timeout, seconds). */
  answerTimeoutS: number;
  /** How long the model has to write the summary before one is built from the transcript. */
  summaryTimeoutMs: number;
}

/** What every call's agent may do besides talking, and what a caller gets when OpenAI fails. */
export interface AgentOptions {
  /** How long a tool may run before the model is told it failed (a tool may declare its own). */
  toolTimeoutMs: number;
  /** Keypad presses closer together than this are sent to the model as one entry. */
  dtmfWindowMs: number;
  /** Longest call; then the assistant says goodbye and the call ends. 0: no limit. */
  maxCallDurationMs: number;
  /** Caller silence before a nudge, and as long again before a polite hang-up. 0: off. */
  callerIdleTimeoutMs: number;
  /** Offer the end_call tool. */
  endCallEnabled: boolean;
  /** Offer the transfer_call tool (also needs transfer destinations and Twilio credentials). */
  transferCallEnabled: boolean;
  /** Where transfer_call may send a caller: a name (all the model sees) and its E.164 number; the first is the default. */
  transferDestinations: TransferDestination[];
  /** The transfer mode of destinations that do not set their own. */
  transferMode: TransferModeSetting;
  warmTransfer: WarmTransferOptions;
  /** Caller audio reaches OpenAI at most this many times faster than real time (1.2: 20 % headroom); the excess is dropped. */
  callerAudioMaxRate: number;
  /** When OpenAI cannot be recovered: `message` is said, then the caller is transferred to `phoneNumber`, or hung up on. */
  fallback: { message: string; phoneNumber?: string };
}
