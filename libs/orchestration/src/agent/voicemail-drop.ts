import { hangUpTwiml } from '@app/telephony';
import type { TwilioRestClient } from '@app/telephony';
import type { ToolControlOutcome } from '@app/tools';
import type { CallEndReason, CallVoicemail } from '../call/call';
import type { VoicemailEvent, VoicemailOutcome } from '../events/call-events';
import type { VoicemailSettings } from '../profiles/assistant-options';
import type { CallAgentHost } from './call-agent-host';

/** Twilio's verdicts once an answering machine's greeting is over (MachineDetection=DetectMessageEnd). */
const MACHINE_ENDS = new Set(['machine_end_beep', 'machine_end_silence', 'machine_end_other']);

/** Longest wait for the assistant's voicemail message to be heard before hanging up anyway (a message of 1,000 characters is about a minute). */
export const VOICEMAIL_MAX_WAIT_MS = 90_000;

/** What the drop needs of the call's agent and control. */
export interface VoicemailAgent {
  /** One last response with these instructions, heard (or `maxWaitMs` passed), then the call ends. */
  finishWith(endReason: CallEndReason, lastWords: string, maxWaitMs?: number): boolean;
}

export interface VoicemailControl {
  endNow(endReason: CallEndReason): boolean;
}

export interface VoicemailDropOptions {
  settings: VoicemailSettings;
  /** Twilio's AMD runs for this call (its verdicts arrive through onAnsweredBy). */
  twilioDetection: boolean;
  /** The model has the voicemail_detected tool. */
  modelDetection: boolean;
  /** How long the greeting waits for Twilio's verdict. */
  greetingHoldMs: number;
}

/** The instructions of the assistant's voicemail turn. */
export function voicemailInstructions(message: string | undefined): string {
  if (!message) {
    return (
      'You reached an answering machine and its beep has sounded: leave a short voicemail message now, in one or two sentences ' +
      '(who you are and why you called, and how to call back), then stop. Do not wait for an answer.'
    );
  }
  return `You reached an answering machine and its beep has sounded: leave this voicemail message now, word for word, once, then stop. Do not wait for an answer. The message: ${message}`;
}

/**
 * One outbound call's voicemail detection and drop. With Twilio's asynchronous AMD the greeting is
 * held until a person is known to have answered (or `greetingHoldMs` passed); `machine_start`
 * silences the assistant (whatever it starts saying is cancelled unheard); a `machine_end_*` (or the
 * model's voicemail_detected) drops the voicemail: the assistant speaks the message and the call
 * ends once it was heard (the usual hang-up path), or Twilio says it (`<Say>`, then `<Hangup>`), or
 * the call ends at once. A fax is hung up on. A plain per-call object; it never throws.
 */
export class VoicemailDrop implements CallVoicemail {
  private phase: 'listening' | 'person' | 'machine' | 'dropping' = 'listening';
  private answeredBy?: string;
  private detectedBy?: 'twilio' | 'model';
  private outcome?: VoicemailOutcome;
  private heldGreeting?: () => void;
  private holdTimer?: NodeJS.Timeout;
  private disposed = false;

  constructor(
    private readonly host: CallAgentHost,
    private readonly agent: VoicemailAgent,
    private readonly control: VoicemailControl,
    /** Undefined: no Twilio REST API (`say` falls back to the assistant). */
    private readonly twilio: TwilioRestClient | undefined,
    private readonly options: VoicemailDropOptions,
  ) {}

  holdGreeting(greet: () => void): boolean {
    // A machine is talking, or being left a message: no greeting at all.
    if (this.phase === 'machine' || this.phase === 'dropping') return true;
    if (!this.options.twilioDetection || this.options.greetingHoldMs <= 0 || this.phase !== 'listening' || this.disposed) return false;
    this.heldGreeting = greet;
    this.holdTimer = setTimeout(() => this.releaseGreeting(), this.options.greetingHoldMs);
    return true;
  }

  silences(requested: boolean): boolean {
    // Dropping: only the gateway's own voicemail turn may speak, not an answer to the machine's greeting.
    return this.phase === 'machine' || (this.phase === 'dropping' && !requested);
  }

  onAssistantResponse(): void {
    // The assistant is already talking (it answered someone's "hello"): the greeting is not needed.
    if (this.heldGreeting) this.cancelHeldGreeting();
  }

  onAnsweredBy(answeredBy: string): void {
    if (this.disposed || this.phase === 'dropping') return;
    this.answeredBy = answeredBy;
    if (answeredBy === 'human' || answeredBy === 'unknown') {
      this.phase = 'person';
      this.releaseGreeting();
    } else if (answeredBy === 'machine_start') {
      this.phase = 'machine';
      this.cancelHeldGreeting();
      this.host.log.info({ answeredBy }, 'an answering machine answered: the assistant stays silent until its beep');
      this.host.hush?.();
    } else if (MACHINE_ENDS.has(answeredBy)) {
      this.drop('twilio');
    } else if (answeredBy === 'fax') {
      this.phase = 'dropping';
      this.detectedBy = 'twilio';
      this.outcome = 'fax';
      this.cancelHeldGreeting();
      this.host.log.info({ answeredBy }, 'a fax machine answered: hanging up');
      this.control.endNow('answering-machine');
    }
  }

  /** The model's voicemail_detected tool. */
  detectedByModel(): ToolControlOutcome {
    if (!this.options.modelDetection) return { accepted: false, error: 'Voicemail detection is not available on this call.' };
    if (this.phase === 'dropping') return { accepted: false, error: 'The voicemail is already being handled. Say nothing.' };
    return this.drop('model');
  }

  result(endReason: CallEndReason): VoicemailEvent | undefined {
    if (!this.options.twilioDetection && !this.options.modelDetection) return undefined;
    let outcome = this.outcome;
    if (this.phase === 'dropping' && outcome === undefined) outcome = endReason === 'voicemail-left' ? 'left' : 'failed';
    return {
      ...(this.answeredBy ? { answeredBy: this.answeredBy } : {}),
      ...(this.detectedBy ? { detectedBy: this.detectedBy } : {}),
      ...(outcome ? { outcome } : {}),
      voicemailLeft: outcome === 'left',
    };
  }

  dispose(): void {
    this.disposed = true;
    this.cancelHeldGreeting();
  }

  private drop(by: 'twilio' | 'model'): ToolControlOutcome {
    // Calls are placed with DetectMessageEnd: Twilio's only machine verdict comes at the beep, by
    // when the (released) greeting may be playing over the machine's. It is cut, so the recording
    // after the beep holds the message alone.
    if (by === 'twilio' && this.phase !== 'machine') this.host.hush?.();
    this.phase = 'dropping';
    this.detectedBy = by;
    this.cancelHeldGreeting();
    const { action, speak, message } = this.options.settings;
    this.host.log.info({ by, action, speak }, 'voicemail reached: dropping it');
    if (action === 'hang-up') {
      this.outcome = 'hung-up';
      this.control.endNow('answering-machine');
      return { accepted: true, detail: 'The call is being hung up. Say nothing.' };
    }
    if (speak === 'say' && message && this.twilio?.isConfigured && this.host.callSid) {
      void this.sayAndHangUp(this.host.callSid, message);
      return { accepted: true, detail: 'The message is being left for you. Say nothing.' };
    }
    return this.speak();
  }

  /** The assistant speaks the message; the call ends once it has been heard. */
  private speak(): ToolControlOutcome {
    if (!this.agent.finishWith('voicemail-left', voicemailInstructions(this.options.settings.message), VOICEMAIL_MAX_WAIT_MS)) {
      this.outcome = 'failed';
      return { accepted: false, error: 'The call is already ending.' };
    }
    return { accepted: true, detail: 'Leave the voicemail message now, once; the call ends when it has been heard.' };
  }

  /** Twilio says the message (`<Say>`) and hangs up; the stream ends with the old TwiML. */
  private async sayAndHangUp(callSid: string, message: string): Promise<void> {
    // Twilio stops the stream as it takes the <Say> TwiML, maybe before it answers: its answer decides.
    const settle = this.host.awaitTwilio();
    try {
      await this.twilio!.redirectCall(callSid, hangUpTwiml(message));
      settle();
      this.outcome = 'left';
      this.host.end('voicemail-left');
    } catch (error) {
      const streamEndedAs = settle();
      if (streamEndedAs) {
        this.outcome = 'failed';
        return this.host.end(streamEndedAs);
      }
      if (this.disposed) return;
      this.host.log.warn({ err: { message: (error as Error).message } }, 'Twilio could not say the voicemail message; the assistant leaves it');
      this.speak();
    }
  }

  private releaseGreeting(): void {
    const greet = this.heldGreeting;
    this.cancelHeldGreeting();
    if (greet && !this.disposed && this.host.state === 'active') greet();
  }

  private cancelHeldGreeting(): void {
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
    this.heldGreeting = undefined;
  }
}
