import type { TransferTicket } from './transfer-tickets';

/** What the human agent did with the offered call (their keypad answer, or the end of their leg). */
export type AgentAnswer =
  | { kind: 'accepted' }
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
   * this answer (for `accepted`: the caller is being joined to the room), false when it is not
   * (the caller hung up, the transfer already ended).
   */
  abstract onAgentAnswer(ticket: TransferTicket, answer: AgentAnswer): Promise<boolean>;
}
