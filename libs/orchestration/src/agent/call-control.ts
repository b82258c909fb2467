import { dialTwiml } from '@app/telephony';
import type { TwilioRestClient } from '@app/telephony';
import type { CallControlApi, ToolControlOutcome } from '@app/tools';
import type { CallEndReason } from '../call/call';
import type { TransferDestination, TransferModeSetting, WarmTransferOptions } from './agent-options';
import type { CallAgentHost } from './call-agent-host';
import { WarmTransfer } from './warm-transfer';
import type { WarmTransferDirectory, WarmTransferOutcome } from './warm-transfer';

export interface CallControlOptions {
  endCallEnabled: boolean;
  transferCallEnabled: boolean;
  /** Allowed transfer destinations, by name; the first is the default. */
  transferDestinations: TransferDestination[];
  /** Longest wait for the last words to be heard before acting anyway. */
  maxWaitMs: number;
  /** The mode of destinations without their own. */
  transferMode: TransferModeSetting;
  warmTransfer: WarmTransferOptions;
  /** Where warm transfers register for their callbacks; undefined: warm transfers are unavailable. */
  warmTransfers?: WarmTransferDirectory;
}

interface PendingAction {
  kind: 'end' | 'transfer';
  /** How the call ends (for records and metrics); the assistant's own end_call by default. */
  endReason?: CallEndReason;
  destination?: TransferDestination;
  mode?: 'blind' | 'warm';
  reason?: string;
  /** Instructions for the last words, used when the model has not said them yet; undefined: none (hang up at once). */
  lastWords?: string;
}

/**
 * Hang-up and transfer for one call. An accepted action waits until the assistant's last words
 * have been heard (no response running, every mark echoed), then uses Twilio's REST API (a call
 * without one, the softphone's, just closes its stream). One action per call: a second end or
 * transfer is refused. The model names transfer destinations; it never learns their numbers.
 */
export class CallControl implements CallControlApi {
  private pending?: PendingAction;
  private acted = false;
  private transferAttempted = false;
  private waitTimer?: NodeJS.Timeout;
  /** Handles the model's voicemail_detected (set when the call's profile detects voicemail with the model). */
  voicemailHandler?: () => ToolControlOutcome;
  private warm?: WarmTransfer;

  constructor(
    private readonly host: CallAgentHost,
    /** Undefined for calls that have no Twilio call to act on (the softphone's). */
    private readonly twilio: TwilioRestClient | undefined,
    private readonly options: CallControlOptions,
  ) {}

  /** True once an action was accepted: the conversation is winding down. */
  get isPending(): boolean {
    return this.pending !== undefined;
  }

  get lastWords(): string | undefined {
    return this.pending?.lastWords;
  }

  /** True once the action is being carried out: nothing more is to be said. */
  get acting(): boolean {
    return this.acted;
  }

  /** Hangs up at once, without last words (an answering machine, a fax). False when an end or transfer is already under way. */
  endNow(endReason: CallEndReason): boolean {
    if (this.pending) return false;
    this.accept({ kind: 'end', reason: endReason, endReason });
    void this.act();
    return true;
  }

  voicemailDetected(): ToolControlOutcome {
    return this.voicemailHandler?.() ?? { accepted: false, error: 'Voicemail detection is not available on this call.' };
  }

  /**
   * The gateway's own polite hang-up (call limits), whatever the tool settings: `lastWords` are
   * spoken and heard, then the call ends. False when an end or transfer is already under way.
   */
  hangUp(endReason: CallEndReason, lastWords: string, maxWaitMs = this.options.maxWaitMs): boolean {
    if (this.pending) return false;
    this.accept({ kind: 'end', reason: endReason, endReason, lastWords }, maxWaitMs);
    return true;
  }

  endCall(reason?: string): ToolControlOutcome {
    if (!this.options.endCallEnabled) return { accepted: false, error: 'Ending calls is turned off.' };
    if (this.pending) return { accepted: false, error: `The call is already being ${this.pending.kind === 'end' ? 'ended' : 'transferred'}.` };
    this.accept({ kind: 'end', reason, lastWords: 'Say a short, friendly goodbye to the caller.' });
    return { accepted: true, detail: 'The call will end once your goodbye has been heard. Do not say anything else.' };
  }

  /** True while a warm transfer holds the caller (the assistant is not listening). */
  get onHold(): boolean {
    return this.warm?.inProgress === true;
  }

  transferCall(destination?: string, reason?: string, mode?: string): ToolControlOutcome {
    const destinations = this.options.transferDestinations;
    if (!this.options.transferCallEnabled || !this.twilio || destinations.length === 0) {
      return { accepted: false, error: 'Transfers are not available on this line.' };
    }
    if (this.pending) return { accepted: false, error: `The call is already being ${this.pending.kind === 'end' ? 'ended' : 'transferred'}.` };
    if (this.transferAttempted) return { accepted: false, error: 'A transfer was already attempted on this call; it cannot be retried.' };
    // By name; the exact configured number is accepted too (the model is never told numbers, so it only has one if the caller said it).
    const target = destination === undefined ? destinations[0] : destinations.find((d) => d.name === destination || d.number === destination);
    if (!target) {
      return { accepted: false, error: `There is no transfer destination called that. Available: ${destinations.map((d) => d.name).join(', ')}.` };
    }
    const allowed = target.mode ?? this.options.transferMode;
    if (mode !== undefined && mode !== 'warm' && mode !== 'blind') return { accepted: false, error: 'mode must be "warm" or "blind".' };
    if (mode !== undefined && allowed !== 'any' && mode !== allowed) {
      return { accepted: false, error: `Transfers to ${target.name} are ${allowed} only; call transfer_call again without mode or with mode "${allowed}".` };
    }
    const chosen: 'blind' | 'warm' = mode ?? (allowed === 'blind' ? 'blind' : 'warm');
    if (chosen === 'warm') {
      if (!this.options.warmTransfers) return { accepted: false, error: 'Warm transfers are not available on this line.' };
      const holdMessage = this.options.warmTransfer.holdMessage;
      this.accept({ kind: 'transfer', destination: target, mode: 'warm', reason, lastWords: `Tell the caller in one short sentence: ${JSON.stringify(holdMessage)}` });
      return { accepted: true, detail: 'The caller will be put on hold once your sentence has been heard, while a colleague is reached. Do not say anything else.' };
    }
    this.accept({ kind: 'transfer', destination: target, mode: 'blind', reason, lastWords: 'Tell the caller in one short sentence that you are transferring them to a colleague now.' });
    return { accepted: true, detail: 'The caller will be transferred once your last sentence has been heard. Do not say anything else.' };
  }

  /**
   * Acts if the last words have been heard. `responseExpected`: a response was requested and has
   * not finished yet, so its words are still to come.
   */
  check(responseExpected: boolean): void {
    if (!this.pending || this.acted || this.host.state !== 'active') return;
    if (responseExpected || this.host.responseActive || this.host.assistantSpeaking) return;
    void this.act();
  }

  dispose(): void {
    if (this.waitTimer) clearTimeout(this.waitTimer);
    this.warm?.dispose();
  }

  private accept(action: PendingAction, maxWaitMs = this.options.maxWaitMs): void {
    this.pending = action;
    this.host.log.info({ action: action.kind, reason: action.reason }, 'assistant asked to end or transfer the call');
    this.waitTimer = setTimeout(() => void this.act(), maxWaitMs);
  }

  private async act(): Promise<void> {
    const action = this.pending;
    if (!action || this.acted) return;
    this.acted = true;
    if (this.waitTimer) clearTimeout(this.waitTimer);
    const callSid = this.host.callSid;
    if (action.kind === 'end') {
      // Twilio's stop may come before its answer: either way this call ends as the assistant's hang-up.
      const settle = this.host.awaitTwilio();
      try {
        if (callSid && this.twilio?.isConfigured) await this.twilio.completeCall(callSid);
      } catch (error) {
        // Closing the stream still ends a <Connect><Stream> call: Twilio runs out of TwiML and hangs up.
        this.host.log.warn({ err: { message: (error as Error).message } }, 'Twilio could not complete the call; closing the stream instead');
      }
      settle();
      this.host.end(action.endReason ?? 'assistant-hung-up');
      return;
    }
    if (action.mode === 'warm') return this.startWarm(action);
    this.transferAttempted = true;
    // Twilio stops the stream as it takes the new TwiML, maybe before it answers: its answer decides.
    const settle = this.host.awaitTwilio();
    try {
      if (!callSid || !this.twilio) throw new Error('the call has no Twilio call to transfer');
      await this.twilio.redirectCall(callSid, dialTwiml(action.destination!.number));
      settle();
      this.host.log.info({ destination: action.destination!.name }, 'call transferred');
      this.host.reportTransfer({ mode: 'blind', destination: action.destination!.name, outcome: 'connected' });
      this.host.end('transferred');
    } catch (error) {
      const streamEndedAs = settle();
      if (this.host.state !== 'active') return;
      this.host.log.error({ err: { message: (error as Error).message } }, 'transfer failed');
      this.host.reportTransfer({ mode: 'blind', destination: action.destination!.name, outcome: 'failed' });
      // The caller hung up while Twilio was asked: nobody is left to tell.
      if (streamEndedAs) return this.host.end(streamEndedAs);
      this.pending = undefined;
      this.acted = false;
      this.host.sendToModel({
        type: 'conversation.item.create',
        item: { type: 'message', role: 'system', content: [{ type: 'input_text', text: 'The transfer failed. Apologise to the caller and offer to help another way.' }] },
      });
      this.host.sendToModel({ type: 'response.create' });
    }
  }

  /** Holds the caller while a colleague is reached (see WarmTransfer); the assistant carries on if they cannot take the call. */
  private startWarm(action: PendingAction): void {
    const destination = action.destination!;
    this.warm = new WarmTransfer(this.host, this.twilio!, this.options.warmTransfers!, this.options.warmTransfer, {
      destination,
      reason: action.reason,
      onFinished: (outcome, summary) => this.warmFinished(destination, outcome, summary),
    });
    void this.warm.start();
  }

  private warmFinished(destination: TransferDestination, outcome: WarmTransferOutcome, summary: string | undefined): void {
    this.host.reportTransfer({ mode: 'warm', destination: destination.name, outcome, ...(summary ? { summary } : {}) });
    if (outcome === 'connected') {
      this.transferAttempted = true;
      this.host.end('transferred');
      return;
    }
    // Back to the conversation: another end or transfer may be asked for.
    this.pending = undefined;
    this.acted = false;
    const why = outcome === 'declined' ? 'could not take the call right now' : outcome === 'no-answer' ? 'did not answer' : 'could not be reached';
    this.host.requestResponse(
      `[The caller was on hold while you tried to reach a colleague at ${destination.name}. The colleague ${why}. ` +
        'Tell the caller so in one short sentence, then carry on helping them yourself.]',
    );
  }
}
