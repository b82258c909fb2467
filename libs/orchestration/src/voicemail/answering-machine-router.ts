import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { FleetBus } from '@app/fleet';
import { AnsweringMachineListener } from '@app/telephony';
import type { AnsweredBy } from '@app/telephony';
import { CallRegistry } from '../call-registry.service';

/** Fleet bus message type of an AnsweredBy for the instance holding the call. */
export const ANSWERED_BY_MESSAGE = 'voicemail.answered-by';
/** Twilio's verdict may come before the call's stream has started anywhere: it is offered again this often … */
const RETRY_EVERY_MS = 250;
/** … this many times (about 5 s), then dropped (it is stored with the record in any case). */
const MAX_ATTEMPTS = 20;

/**
 * Takes Twilio's answering-machine verdicts (which reach any instance) to the call's live stream,
 * on whichever instance holds it, through the fleet bus. Pass it to
 * TwilioModule.forRoot({ answeringMachine }).
 */
@Injectable()
export class AnsweringMachineRouter extends AnsweringMachineListener implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('AnsweringMachine');
  private unsubscribe?: () => void;

  constructor(
    private readonly bus: FleetBus,
    private readonly calls: CallRegistry,
  ) {
    super();
  }

  onModuleInit(): void {
    this.unsubscribe = this.bus.onCallMessage(ANSWERED_BY_MESSAGE, (callSid, message) => {
      const answeredBy = (message as { answeredBy?: unknown } | null)?.answeredBy;
      if (typeof answeredBy === 'string') this.calls.bySid(callSid)?.onAnsweredBy(answeredBy);
    });
  }

  onApplicationShutdown(): void {
    this.unsubscribe?.();
  }

  onAnsweredBy(callSid: string, answeredBy: AnsweredBy): void {
    void this.deliver(callSid, answeredBy);
  }

  private async deliver(callSid: string, answeredBy: AnsweredBy): Promise<void> {
    const withinMs = RETRY_EVERY_MS * (MAX_ATTEMPTS - 1);
    if (await this.bus.sendToCallWithin(callSid, ANSWERED_BY_MESSAGE, { answeredBy }, withinMs, RETRY_EVERY_MS)) return;
    this.logger.warn(`call ${callSid}: no instance holds its stream; AnsweredBy ${answeredBy} is only recorded`);
  }
}
