import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { FleetBus } from '@app/fleet';
import { WarmTransferCallbacks, WarmTransferTickets } from '@app/telephony';
import type { AgentAnswer, TransferTicket } from '@app/telephony';
import type { WarmTransfer, WarmTransferDirectory } from './warm-transfer';

/** Fleet bus: an agent's answer, to the pod holding the call. */
const ANSWER_MESSAGE = 'warm-transfer.answer';
/** Fleet bus topic: that pod's reply (was the transfer waiting for it?). */
const REPLY_TOPIC = 'warm-transfer.answer-reply';
/** How long the pod Twilio reached keeps looking for the call's holder (being written again after a Redis blip). */
const FIND_HOLDER_WITHIN_MS = 2000;
/** How long the pod Twilio reached waits for the holder's reply before answering the agent. */
const REPLY_TIMEOUT_MS = 3000;
const ANSWER_KINDS = new Set(['accepted', 'declined', 'leg-ended', 'joined']);

/**
 * The warm transfers of this pod's calls, and the route of their human legs' callbacks (the keypad
 * answer, the leg's status, the joins of the conference room): Twilio may call any pod, which hands the answer to the pod holding the caller's call over the fleet bus
 * and waits (briefly) for its reply. Without Redis the bus is this process.
 */
@Injectable()
export class WarmTransfers extends WarmTransferCallbacks implements WarmTransferDirectory, OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('WarmTransfers');
  private readonly transfers = new Map<string, WarmTransfer>();
  private readonly waiting = new Map<string, (waiting: boolean) => void>();
  private readonly unsubscribe: Array<() => void> = [];

  constructor(
    private readonly bus: FleetBus,
    private readonly tickets: WarmTransferTickets,
  ) {
    super();
  }

  onModuleInit(): void {
    this.unsubscribe.push(
      this.bus.onCallMessage(ANSWER_MESSAGE, (_callSid, message) => this.answerHere(message)),
      this.bus.subscribe(REPLY_TOPIC, (message) => {
        const { requestId, waiting } = (message ?? {}) as { requestId?: unknown; waiting?: unknown };
        if (typeof requestId === 'string') this.waiting.get(requestId)?.(waiting === true);
      }),
    );
  }

  onApplicationShutdown(): void {
    for (const off of this.unsubscribe) off();
  }

  /** Transfers in progress on this pod. */
  get size(): number {
    return this.transfers.size;
  }

  mint(callSid: string, ttlMs: number): TransferTicket {
    return this.tickets.mint(callSid, ttlMs);
  }

  add(ticketId: string, transfer: WarmTransfer): void {
    this.transfers.set(ticketId, transfer);
  }

  remove(ticketId: string): void {
    this.transfers.delete(ticketId);
  }

  async onAgentAnswer(ticket: TransferTicket, answer: AgentAnswer): Promise<boolean> {
    const requestId = randomUUID();
    let timer: NodeJS.Timeout | undefined;
    // Listening before sending: on the holding pod itself the reply comes back at once.
    const reply = new Promise<boolean>((resolve) => this.waiting.set(requestId, resolve));
    try {
      const handed = await this.bus.sendToCallWithin(ticket.callSid, ANSWER_MESSAGE, { ticket: ticket.id, requestId, answer }, FIND_HOLDER_WITHIN_MS);
      if (!handed) return false;
      const lateReply = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => {
          // The holding pod got the answer but its reply is late. For an acceptance it is most likely
          // moving the caller into the room already: the colleague joins it rather than the caller
          // being left there alone.
          if (answer.kind === 'accepted') this.logger.warn(`no reply in ${REPLY_TIMEOUT_MS} ms from the pod holding ${ticket.callSid}; the colleague joins the conference`);
          resolve(answer.kind === 'accepted');
        }, REPLY_TIMEOUT_MS);
      });
      return await Promise.race([reply, lateReply]);
    } finally {
      clearTimeout(timer);
      this.waiting.delete(requestId);
    }
  }

  /** On the pod holding the call: the transfer takes the answer (if it still waits for one), and the sender is told. */
  private answerHere(message: unknown): void {
    const { ticket, requestId, answer } = (message ?? {}) as { ticket?: unknown; requestId?: unknown; answer?: AgentAnswer };
    if (typeof ticket !== 'string' || typeof requestId !== 'string' || !answer || !ANSWER_KINDS.has(answer.kind)) return;
    if (answer.kind === 'joined' && typeof answer.callSid !== 'string') return;
    const transfer = this.transfers.get(ticket);
    let waiting = false;
    try {
      waiting = transfer?.agentAnswered(answer) ?? false;
    } catch (error) {
      this.logger.error(`a warm transfer failed on the agent's answer: ${error instanceof Error ? error.message : String(error)}`);
    }
    this.bus.publish(REPLY_TOPIC, { requestId, waiting });
  }
}
