import { agentOfferTwiml, conferenceTwiml, TWILIO_ROUTES, transferPath } from '@app/telephony';
import type { AgentAnswer, TransferTicket, TwilioRestClient } from '@app/telephony';
import type { RecentTurn } from '../call/call';
import type { CallTransferEvent } from '../events/call-events';
import type { TransferDestination, WarmTransferOptions } from './agent-options';
import type { CallAgentHost } from './call-agent-host';

export type WarmTransferOutcome = CallTransferEvent['outcome'];

/** Longest summary said to the human (characters; TwiML given inline must stay under 4000). */
export const MAX_SUMMARY_CHARS = 700;
/** Beyond the ring and answer time: the summary being said, Twilio's callbacks arriving. */
const SETTLE_MARGIN_MS = 60_000;
/** After the colleague pressed 1: how long Twilio has to report them in the conference room before the transfer is given up. */
export const JOIN_TIMEOUT_MS = 15_000;

/** Where a warm transfer registers itself so the human's callbacks (from any pod, via the fleet bus) find it. */
export interface WarmTransferDirectory {
  mint(callSid: string, ttlMs: number): TransferTicket;
  add(ticketId: string, transfer: WarmTransfer): void;
  remove(ticketId: string): void;
}

export interface WarmTransferRequest {
  destination: TransferDestination;
  reason?: string;
  /** Called once with the outcome; for any outcome but `connected` the call goes on with the assistant. */
  onFinished: (outcome: WarmTransferOutcome, summary: string | undefined) => void;
}

/** `joining`: the colleague accepted, the caller stays on hold until Twilio reports the colleague in the room. */
type State = 'summarising' | 'dialling' | 'offered' | 'joining' | 'connecting' | 'finished';

const SUMMARY_INSTRUCTIONS =
  'A human colleague is about to take over this phone call. Summarise the conversation so far for them in 2 or 3 short sentences: ' +
  'who is calling, what they want, and what has been done. Plain sentences only, no greeting, no lists.';

/**
 * One warm transfer of one call: the caller is on hold (hold audio, the model not listening) while
 * the summary is written (an out-of-band text response, or from the transcript when that takes too
 * long), the human is dialled with TwiML that says it and asks for a key, and their answer comes
 * back through the fleet bus. Accepted: the colleague is put in a conference room, and once Twilio
 * reports them there the caller is moved in too and the call's stream ends; the caller is never
 * sent to a room the colleague did not reach. Otherwise the hold ends and the assistant tells the caller.
 */
export class WarmTransfer {
  private state: State = 'summarising';
  private ticket?: TransferTicket;
  private agentCallSid?: string;
  private summary?: string;
  private timer?: NodeJS.Timeout;
  private joinTimer?: NodeJS.Timeout;
  /** A join reported before Twilio told us the colleague's CallSid. */
  private earlyJoin?: string;

  constructor(
    private readonly host: CallAgentHost,
    private readonly twilio: TwilioRestClient,
    private readonly directory: WarmTransferDirectory,
    private readonly options: WarmTransferOptions,
    private readonly request: WarmTransferRequest,
  ) {}

  get inProgress(): boolean {
    return this.state !== 'finished';
  }

  async start(): Promise<void> {
    const callSid = this.host.callSid;
    const base = this.host.callbackBaseUrl;
    if (!callSid || !base) return this.finish('failed', 'the call has no Twilio CallSid or callback URL');
    this.host.startHold();
    const ttlMs = (this.options.ringTimeoutS + this.options.answerTimeoutS) * 1000 + SETTLE_MARGIN_MS;
    try {
      this.ticket = this.directory.mint(callSid, ttlMs);
    } catch (error) {
      return this.finish('failed', (error as Error).message);
    }
    this.directory.add(this.ticket.id, this);
    this.timer = setTimeout(() => this.giveUp(), ttlMs);
    const instructions = SUMMARY_INSTRUCTIONS + (this.request.reason ? ` The assistant gave this reason for the transfer: ${JSON.stringify(this.request.reason)}.` : '');
    const written = await this.host.requestSideText(instructions, this.options.summaryTimeoutMs);
    if (this.state !== 'summarising') return;
    this.summary = clip(written ?? fallbackSummary(this.host.recentTurns(), this.request.reason));
    this.host.log.info({ destination: this.request.destination.name, summarySource: written ? 'model' : 'transcript' }, 'warm transfer: dialling the colleague');
    this.state = 'dialling';
    try {
      const answerUrl = base + transferPath(TWILIO_ROUTES.transferAnswer, this.ticket.id);
      const call = await this.twilio.createCall({
        to: this.request.destination.number,
        from: this.fromNumber(),
        twiml: agentOfferTwiml({ summary: this.summary, answerUrl, timeoutSeconds: this.options.answerTimeoutS }),
        timeout: this.options.ringTimeoutS,
        statusCallback: base + transferPath(TWILIO_ROUTES.transferStatus, this.ticket.id),
        statusCallbackEvent: ['completed'],
      });
      this.agentCallSid = call.sid;
      // The caller hung up (or the transfer ended) while Twilio was placing the colleague's leg.
      if ((this.state as string) === 'finished') this.hangUpAgent();
      else if ((this.state as string) === 'joining' && this.earlyJoin === call.sid) this.colleagueJoined();
    } catch (error) {
      if (this.state === 'dialling') return this.finish('failed', `Twilio could not dial the colleague: ${(error as Error).message}`);
      return;
    }
    if (this.state === 'dialling') this.state = 'offered';
  }

  /**
   * The human's answer, their joining the room, or the end of their leg, delivered by the fleet
   * bus. True when the transfer was waiting for it (for an acceptance: the colleague is to join
   * the room; for a join: it was the colleague's and the caller is being moved in).
   */
  agentAnswered(answer: AgentAnswer): boolean {
    if (this.state === 'joining') return this.whileJoining(answer);
    if (this.state !== 'offered' && this.state !== 'dialling') return false;
    if (answer.kind === 'joined') return false;
    if (answer.kind === 'accepted') {
      this.state = 'joining';
      this.joinTimer = setTimeout(() => this.colleagueAbsent(`the colleague did not join the conference within ${JOIN_TIMEOUT_MS} ms`), JOIN_TIMEOUT_MS);
      this.host.log.info({ destination: this.request.destination.name }, 'warm transfer: the colleague accepted; waiting for them in the conference');
      return true;
    }
    if (answer.kind === 'declined') {
      this.finish('declined', answer.why === 'no-input' ? 'the colleague pressed no key' : 'the colleague declined');
      return true;
    }
    const outcome: WarmTransferOutcome = answer.status === 'completed' ? 'declined' : answer.status === 'no-answer' || answer.status === 'busy' ? 'no-answer' : 'failed';
    this.finish(outcome, `the colleague's phone: ${answer.status}`);
    return true;
  }

  /** Accepted, the caller still on hold: only the colleague's own join moves the caller; their leg ending means they are gone. */
  private whileJoining(answer: AgentAnswer): boolean {
    if (answer.kind === 'joined') {
      if (!this.agentCallSid) {
        this.earlyJoin = answer.callSid;
        return true;
      }
      if (answer.callSid !== this.agentCallSid) return false;
      this.colleagueJoined();
      return true;
    }
    if (answer.kind === 'leg-ended') {
      this.colleagueAbsent(`the colleague's phone: ${answer.status} before they joined the conference`, false);
      return true;
    }
    return false;
  }

  private colleagueJoined(): void {
    clearTimeout(this.joinTimer);
    this.joinTimer = undefined;
    this.state = 'connecting';
    void this.connect();
  }

  /** Accepted but not in the room: their leg is hung up (if it is still up) and the assistant takes the caller back. */
  private colleagueAbsent(why: string, legUp = true): void {
    if (this.state !== 'joining') return;
    if (legUp) this.hangUpAgent();
    this.finish('no-answer', why);
  }

  /** The call ended (the caller hung up while on hold): the human's leg is hung up too. */
  dispose(): void {
    if (this.state === 'finished' || this.state === 'connecting') {
      this.cleanUp();
      return;
    }
    this.state = 'finished';
    this.cleanUp();
    this.hangUpAgent();
  }

  private async connect(): Promise<void> {
    const callSid = this.host.callSid!;
    // Twilio stops the stream as it takes the conference TwiML, maybe before it answers: its answer decides.
    const settle = this.host.awaitTwilio();
    try {
      await this.twilio.redirectCall(callSid, conferenceTwiml(this.ticket!.room));
    } catch (error) {
      const streamEndedAs = settle();
      this.hangUpAgent();
      this.finish('failed', `Twilio could not join the caller to the colleague: ${(error as Error).message}`);
      // The caller hung up while Twilio was asked: the call ends as that.
      if (streamEndedAs) this.host.end(streamEndedAs);
      return;
    }
    settle();
    this.state = 'finished';
    this.cleanUp();
    this.host.log.info({ destination: this.request.destination.name }, 'warm transfer: caller joined the colleague');
    this.request.onFinished('connected', this.summary);
  }

  private giveUp(): void {
    if (this.state === 'finished' || this.state === 'connecting') return;
    this.hangUpAgent();
    this.finish('no-answer', 'no answer from the colleague in time');
  }

  private finish(outcome: WarmTransferOutcome, why: string): void {
    if (this.state === 'finished') return;
    this.state = 'finished';
    this.cleanUp();
    this.host.log.info({ destination: this.request.destination.name, outcome, why }, 'warm transfer did not connect; the assistant carries on');
    this.host.stopHold();
    this.request.onFinished(outcome, this.summary);
  }

  private cleanUp(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.joinTimer) clearTimeout(this.joinTimer);
    this.joinTimer = undefined;
    if (this.ticket) this.directory.remove(this.ticket.id);
  }

  private hangUpAgent(): void {
    const sid = this.agentCallSid;
    if (!sid) return;
    this.twilio.completeCall(sid).catch((error: Error) => this.host.log.warn({ err: { message: error.message } }, "warm transfer: could not hang up the colleague's leg"));
  }

  private fromNumber(): string {
    // TWILIO_PHONE_NUMBER, else our own number on this call: the one the caller dialled, or the one an outbound call came from.
    const own = this.twilio.defaultFromNumber ?? (this.host.direction === 'outbound' ? this.host.from : this.host.to);
    if (!own) throw new Error('no caller ID for the colleague leg (set TWILIO_PHONE_NUMBER)');
    return own;
  }
}

/** A summary from the last transcribed turns, when the model gives none in time. */
export function fallbackSummary(turns: readonly RecentTurn[], reason: string | undefined): string {
  const parts: string[] = [];
  if (reason) parts.push(`Reason for the transfer: ${reason}.`);
  const last = turns.slice(-4);
  if (last.length > 0) parts.push('The conversation ended with: ' + last.map((t) => `${t.role === 'caller' ? 'the caller said' : 'the assistant said'} "${t.text}"`).join('; ') + '.');
  return parts.length > 0 ? parts.join(' ') : 'No summary of the conversation is available.';
}

function clip(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_SUMMARY_CHARS ? flat.slice(0, MAX_SUMMARY_CHARS - 1) + '…' : flat;
}
