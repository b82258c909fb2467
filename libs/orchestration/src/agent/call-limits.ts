import type { CallControl } from './call-control';

export interface CallLimitsOptions {
  /** 0: no limit. */
  maxDurationMs: number;
  /** Caller silence after the assistant finished before a nudge, and again before hanging up. 0: off. */
  idleTimeoutMs: number;
}

/** What the limits need from the call's agent (see CallAgent). */
export interface CallLimitsHost {
  /** True while the assistant is talking, a response is running or a tool is working. */
  readonly busy: boolean;
  /** Asks the model for one response with these instructions (when nothing is running). */
  prompt(instructions: string): void;
  /** Asks for the last words; the call ends once they have been heard. */
  windDown(): void;
}

const IDLE_NUDGE = 'The caller has been silent for a while. Briefly ask whether they are still there and if there is anything else you can help with.';
const IDLE_GOODBYE = 'The caller is still silent. Say a short, friendly goodbye; the call will end.';
const DURATION_GOODBYE = 'The call has reached its maximum length. Apologise briefly, say goodbye; the call will end.';

/** How often the maximum length is tried again while the caller is on hold. */
const HOLD_RETRY_MS = 5000;

/**
 * A call's time limits: a maximum length, and an idle caller who is first nudged, then politely
 * hung up on. Activity is a timestamp (nothing is re-armed per event); one timer per limit.
 */
export class CallLimits {
  private lastActivityAt = Date.now();
  private nudged = false;
  private idleTimer?: NodeJS.Timeout;
  private durationTimer?: NodeJS.Timeout;

  constructor(
    private readonly host: CallLimitsHost,
    private readonly control: CallControl,
    private readonly options: CallLimitsOptions,
  ) {
    if (options.maxDurationMs > 0) {
      this.durationTimer = setTimeout(() => this.endFor('max-duration', DURATION_GOODBYE), options.maxDurationMs);
    }
    if (options.idleTimeoutMs > 0) this.armIdle(options.idleTimeoutMs);
  }

  /** Something happened on the call (the assistant was heard, a response ended). */
  activity(): void {
    this.lastActivityAt = Date.now();
  }

  callerSpoke(): void {
    this.lastActivityAt = Date.now();
    this.nudged = false;
  }

  dispose(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.durationTimer) clearTimeout(this.durationTimer);
  }

  private armIdle(delayMs: number): void {
    this.idleTimer = setTimeout(() => this.checkIdle(), delayMs);
  }

  private checkIdle(): void {
    const timeoutMs = this.options.idleTimeoutMs;
    const quietMs = Date.now() - this.lastActivityAt;
    // An end or transfer under way: a warm transfer may hand the caller back, so keep watching (from then on).
    if (this.control.isPending) {
      this.lastActivityAt = Date.now();
      return this.armIdle(timeoutMs);
    }
    if (this.host.busy || quietMs < timeoutMs) {
      if (this.host.busy) this.lastActivityAt = Date.now();
      return this.armIdle(this.host.busy ? timeoutMs : timeoutMs - quietMs);
    }
    if (!this.nudged) {
      this.nudged = true;
      this.lastActivityAt = Date.now();
      this.host.prompt(IDLE_NUDGE);
      return this.armIdle(timeoutMs);
    }
    this.endFor('caller-idle', IDLE_GOODBYE);
  }

  private endFor(reason: 'max-duration' | 'caller-idle', lastWords: string): void {
    if (this.control.hangUp(reason, lastWords)) this.host.windDown();
    // The caller is on hold for a warm transfer: the call ends once it is back with the assistant (unless it was transferred).
    else if (reason === 'max-duration' && this.control.onHold) this.durationTimer = setTimeout(() => this.endFor(reason, lastWords), HOLD_RETRY_MS);
  }
}
