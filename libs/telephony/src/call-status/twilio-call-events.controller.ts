import { Body, Controller, ForbiddenException, HttpCode, Inject, Logger, Optional, Post, ServiceUnavailableException, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { TwilioSignatureGuard } from '../signature/twilio-signature.guard';
import { TWILIO_OPTIONS } from '../twilio.module-definition';
import type { TwilioModuleOptions } from '../twilio.module-definition';
import { TWILIO_ROUTES } from '../twilio-routes';
import { ANSWERED_BY_VALUES, AnsweredBy, AnsweringMachineListener, CallStatusListener, TwilioCallStatus } from './call-status-listener';

const CALL_SID = /^CA[0-9a-zA-Z]{1,64}$/;
const RECORDING_SID = /^RE[0-9a-zA-Z]{1,64}$/;
const RECORDING_STATUSES = new Set(['in-progress', 'completed', 'absent', 'failed', 'paused', 'stopped', 'processing']);

/**
 * Twilio's asynchronous answering-machine detection callback and recording status callback
 * (form-encoded, signed). Each is stored with the call's Twilio status (CallStatusListener: the call
 * records, on whichever instance the callback reaches, even after the call ended); an AnsweredBy is
 * also handed to the AnsweringMachineListener, which takes it to the live call.
 */
@ApiExcludeController()
@UseGuards(TwilioSignatureGuard)
@Controller()
export class TwilioCallEventsController {
  private readonly logger = new Logger('TwilioCallbacks');

  constructor(
    @Inject(TWILIO_OPTIONS) private readonly options: TwilioModuleOptions,
    @Optional() private readonly status?: CallStatusListener,
    @Optional() private readonly machines?: AnsweringMachineListener,
  ) {}

  @Post(TWILIO_ROUTES.amdStatus)
  @HttpCode(204)
  async amdStatus(@Body() body: Record<string, string | undefined>): Promise<void> {
    this.checkAccount(body);
    const callSid = body.CallSid;
    const answeredBy = body.AnsweredBy as AnsweredBy | undefined;
    if (!callSid || !CALL_SID.test(callSid) || !answeredBy || !ANSWERED_BY_VALUES.includes(answeredBy)) return;
    this.logger.log(`call ${callSid}: answered by ${answeredBy}`);
    // The live call first: it acts at once, while the record is written.
    this.machines?.onAnsweredBy(callSid, answeredBy);
    await this.store(callSid, { answeredBy }, 'AnsweredBy');
  }

  @Post(TWILIO_ROUTES.recordingStatus)
  @HttpCode(204)
  async recordingStatus(@Body() body: Record<string, string | undefined>): Promise<void> {
    this.checkAccount(body);
    const { CallSid: callSid, RecordingSid: sid, RecordingUrl: url, RecordingStatus: status } = body;
    if (!callSid || !CALL_SID.test(callSid) || !sid || !RECORDING_SID.test(sid) || !status || !RECORDING_STATUSES.has(status)) return;
    const duration = body.RecordingDuration !== undefined ? Number(body.RecordingDuration) : NaN;
    const channels = Number(body.RecordingChannels);
    const recording: NonNullable<TwilioCallStatus['recording']> = {
      sid,
      url: typeof url === 'string' && /^https?:\/\//.test(url) ? url : '',
      channels: Number.isInteger(channels) && channels > 0 ? channels : 1,
      status,
      ...(Number.isInteger(duration) && duration >= 0 ? { durationSeconds: duration } : {}),
    };
    await this.store(callSid, { recording }, 'recording status');
  }

  /** Signed by Twilio, and from this gateway's account (as the voice webhook and the transfer callbacks check). */
  private checkAccount(body: Record<string, string | undefined>): void {
    if (this.options.accountSid && body.AccountSid !== this.options.accountSid) throw new ForbiddenException("AccountSid is not this gateway's Twilio account");
  }

  private async store(callSid: string, update: TwilioCallStatus, what: string): Promise<void> {
    if (!this.status) return;
    try {
      await this.status.onCallStatus(callSid, update);
    } catch (error) {
      this.logger.warn(`cannot store Twilio ${what} for ${callSid}: ${error instanceof Error ? error.message : String(error)}`);
      throw new ServiceUnavailableException();
    }
  }
}
