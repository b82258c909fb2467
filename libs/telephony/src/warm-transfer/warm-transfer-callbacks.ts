import type { TransferTicket } from './transfer-tickets';

/** What the human agent did with the offered call (their keypad answer, their joining the conference room, or the end of their leg). */
export type AgentAnswer =
  | { kind: 'accepted' }
  /** A participant joined the transfer's room: the call `callSid` (the colleague's leg, or someone else's). */
  | { kind: 'joined'; callSid: string }
  | { kind: 'declined'; why: 'declined' | 'no-input' }
  | { kind: 'leg-ended'; status: 'no-answer' | 'busy' | 'failed' | 'canceled' | 'completed' };

/**
 * Receives the human leg's callbacks of a warm transfer, on whichever instance Twilio reached: the
 * implementation routes them to the instance holding the caller's call. An abstract class so it can
 * be used as the injection token.
 */
export abstract class WarmTransferCallbacks {
  /**
   * Hands the answer to the transfer's call. Resolves true when the transfer is still waiting for
   * this answer (for `accepted`: the colleague is to join the room, where the caller follows them;
   * for `joined`: it was the colleague's leg and the caller is being moved in), false when it is
   * not (the caller hung up, the transfer already ended, another call joined).
   */
  abstract onAgentAnswer(ticket: TransferTicket, answer: AgentAnswer): Promise<boolean>;
}
