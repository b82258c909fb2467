import { Body, Controller, ForbiddenException, Header, HttpCode, Inject, Injectable, Logger, Optional, Param, Post, Req, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request } from 'express';
import { TwilioSignatureGuard } from '../signature/twilio-signature.guard';
import { TWILIO_OPTIONS } from '../twilio.module-definition';
import type { TwilioModuleOptions } from '../twilio.module-definition';
import { TWILIO_ROUTES, transferPath } from '../twilio-routes';
import { publicBaseUrl } from '../twiml/stream-url';
import { conferenceTwiml, hangUpTwiml } from '../twiml/twiml';
import { TransferTicket, TransferTickets } from './transfer-tickets';
import { AgentAnswer, WarmTransferCallbacks } from './warm-transfer-callbacks';

/** Signs and checks warm-transfer tickets with the gateway's transfer key (every pod sharing the secret accepts them). */
@Injectable()
export class WarmTransferTickets extends TransferTickets {
  constructor(@Inject(TWILIO_OPTIONS) options: TwilioModuleOptions) {
    super(options.keys.transferTicket);
  }
}

const LEG_ENDED = new Set(['no-answer', 'busy', 'failed', 'canceled', 'completed']);
const CALL_SID = /^CA[0-9a-zA-Z]{32}$/;

/**
 * The human leg's callbacks of a warm transfer (signed by Twilio, and bound to one transfer by
 * its ticket in the path): the keypad answer to the offer, the leg's status, and the joins of the
 * conference room. Whichever pod Twilio reaches answers; the transfer itself is resolved on the
 * pod holding the caller's call (WarmTransferCallbacks routes it there). The accepted agent's
 * TwiML needs only the conference room, which the ticket names, and the URL of its join callback.
 */
@ApiExcludeController()
@UseGuards(TwilioSignatureGuard)
@Controller()
export class WarmTransferController {
  private readonly logger = new Logger('WarmTransfer');

  constructor(
    private readonly tickets: WarmTransferTickets,
    @Inject(TWILIO_OPTIONS) private readonly options: TwilioModuleOptions,
    @Optional() private readonly callbacks?: WarmTransferCallbacks,
  ) {}

  @Post(TWILIO_ROUTES.transferAnswer)
  @HttpCode(200)
  @Header('Content-Type', 'text/xml')
  async answer(@Param('ticket') id: string, @Body() body: Record<string, string | undefined>, @Req() request: Request): Promise<string> {
    const ticket = this.ticketOf(id, body);
    const digits = typeof body.Digits === 'string' ? body.Digits.trim() : '';
    const answer: AgentAnswer = digits === '1' ? { kind: 'accepted' } : { kind: 'declined', why: digits === '' ? 'no-input' : 'declined' };
    const waiting = await this.deliver(ticket, answer);
    if (!waiting) return hangUpTwiml('Sorry, the caller is no longer waiting. Goodbye.');
    if (answer.kind === 'accepted') {
      // The caller is moved into the room only once Twilio reports the colleague there.
      const joinCallback = publicBaseUrl(this.options, request) + transferPath(TWILIO_ROUTES.transferConference, ticket.id);
      return conferenceTwiml(ticket.room, 'Connecting you to the caller now.', joinCallback);
    }
    return hangUpTwiml('Thank you. The caller will be told. Goodbye.');
  }

  @Post(TWILIO_ROUTES.transferStatus)
  @HttpCode(204)
  async status(@Param('ticket') id: string, @Body() body: Record<string, string | undefined>): Promise<void> {
    const ticket = this.ticketOf(id, body);
    const status = body.CallStatus;
    if (!status || !LEG_ENDED.has(status)) return;
    await this.deliver(ticket, { kind: 'leg-ended', status: status as Extract<AgentAnswer, { kind: 'leg-ended' }>['status'] });
  }

  @Post(TWILIO_ROUTES.transferConference)
  @HttpCode(204)
  async conference(@Param('ticket') id: string, @Body() body: Record<string, string | undefined>): Promise<void> {
    const ticket = this.ticketOf(id, body);
    const callSid = body.CallSid;
    if (body.StatusCallbackEvent !== 'participant-join' || typeof callSid !== 'string' || !CALL_SID.test(callSid)) return;
    await this.deliver(ticket, { kind: 'joined', callSid });
  }

  /** The verified ticket, or 403: a forged, altered or expired one, or another Twilio account's request. */
  private ticketOf(id: string, body: Record<string, string | undefined>): TransferTicket {
    const ticket = this.tickets.verify(id);
    if (!ticket) throw new ForbiddenException('Unknown or expired transfer');
    if (this.options.accountSid && body.AccountSid !== this.options.accountSid) throw new ForbiddenException("AccountSid is not this gateway's Twilio account");
    return ticket;
  }

  private async deliver(ticket: TransferTicket, answer: AgentAnswer): Promise<boolean> {
    if (!this.callbacks) return false;
    try {
      return await this.callbacks.onAgentAnswer(ticket, answer);
    } catch (error) {
      this.logger.warn(`warm transfer of ${ticket.callSid}: the agent's answer could not be delivered: ${error instanceof Error ? error.message : String(error)}`);
      return false;
    }
  }
}
