import type { Call, CallEndReason, CallState, CallTraffic } from './call';

/**
 * What call observers (metrics, records, consoles) see of a call: read-only and live, each read
 * giving the current value. It cannot end the call or touch its audio; what must act on a call
 * (the drain) goes through the CallRegistry.
 */
export interface ObservedCall {
  readonly callSid?: string;
  readonly streamSid?: string;
  /** Caller number (inbound) or the number we called from (outbound), as Twilio reports it. */
  readonly from?: string;
  readonly to?: string;
  /** The assistant profile chosen at `start`. */
  readonly profile: string;
  readonly direction: 'inbound' | 'outbound';
  /** The Realtime model the call runs (known from `start`). */
  readonly model?: string;
  /** The caller-side transcription model asked for; undefined: none. */
  readonly transcriptionModel?: string;
  /** Who opened the stream: a Twilio call, or the console's browser softphone. */
  readonly origin: 'twilio' | 'softphone';
  /** For an outbound call, the id of the API key that placed it (from the context it carried). */
  readonly placedBy?: string;
  readonly state: CallState;
  /** The stream's `<Parameter>`s. */
  readonly customParameters: Readonly<Record<string, string>>;
  /** The W3C trace context the stream carried from the voice webhook (tracing); never in `customParameters`. */
  readonly traceParent?: string;
  /** Epoch milliseconds. */
  readonly connectedAt: number;
  readonly startedAt?: number;
  readonly endedAt?: number;
  readonly endReason?: CallEndReason;
  /** True while assistant audio sent to the caller has not been heard yet. */
  readonly assistantSpeaking: boolean;
  /** The media counters so far (a copy). */
  readonly traffic: CallTraffic;
}

/** The ObservedCall of one Call: getters over it, made once per call. */
export class ReadOnlyCall implements ObservedCall {
  readonly #call: Call;

  constructor(call: Call) {
    this.#call = call;
  }

  get callSid() {
    return this.#call.callSid;
  }

  get streamSid() {
    return this.#call.streamSid;
  }

  get from() {
    return this.#call.from;
  }

  get to() {
    return this.#call.to;
  }

  get profile() {
    return this.#call.profile;
  }

  get direction() {
    return this.#call.direction;
  }

  get model() {
    return this.#call.model;
  }

  get transcriptionModel() {
    return this.#call.transcriptionModel;
  }

  get origin() {
    return this.#call.origin;
  }

  get placedBy() {
    return this.#call.placedBy;
  }

  get state() {
    return this.#call.state;
  }

  get customParameters(): Readonly<Record<string, string>> {
    return this.#call.customParameters;
  }

  get traceParent() {
    return this.#call.traceParent;
  }

  get connectedAt() {
    return this.#call.connectedAt;
  }

  get startedAt() {
    return this.#call.startedAt;
  }

  get endedAt() {
    return this.#call.endedAt;
  }

  get endReason() {
    return this.#call.endReason;
  }

  get assistantSpeaking() {
    return this.#call.assistantSpeaking;
  }

  get traffic(): CallTraffic {
    return { ...this.#call.traffic };
  }
}
