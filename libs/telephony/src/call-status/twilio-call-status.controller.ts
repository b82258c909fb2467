import { Body, Controller, ForbiddenException, HttpCode, Inject, Logger, Optional, Post, ServiceUnavailableException, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { TwilioSignatureGuard } from '../signature/twilio-signature.guard';
import { TWILIO_ROUTES } from '../twilio-routes';
import { TWILIO_OPTIONS } from '../twilio.module-definition';
import type { TwilioModuleOptions } from '../twilio.module-definition';
import { CallStatusListener, TwilioCallStatus } from './call-status-listener';

const FINAL_STATUSES = new Set(['completed', 'busy', 'failed', 'no-answer', 'canceled']);

/**
 * Twilio's call status callback (form-encoded, signed). Turns Twilio's answer time, end time and
 * billed duration into a TwilioCallStatus for the CallStatusListener (the call records).
 */
@ApiExcludeController()
@UseGuards(TwilioSignatureGuard)
@Controller()
export class TwilioCallStatusController {
  private readonly logger = new Logger(TwilioCallStatusController.name);

  constructor(
    @Inject(TWILIO_OPTIONS) private readonly options: TwilioModuleOptions,
    @Optional() private readonly listener?: CallStatusListener,
  ) {}

  @Post(TWILIO_ROUTES.callStatus)
  @HttpCode(204)
  async callStatus(@Body() body: Record<string, string | undefined>): Promise<void> {
    // Signed by Twilio, and from this gateway's account (as every other Twilio callback checks).
    if (this.options.accountSid && body.AccountSid !== this.options.accountSid) throw new ForbiddenException("AccountSid is not this gateway's Twilio account");
    const callSid = body.CallSid;
    const status = body.CallStatus;
    if (!this.listener || !callSid || !/^CA[0-9a-zA-Z]{1,64}$/.test(callSid) || !status) return;
    const update = statusUpdate(status, body);
    if (!update) return;
    try {
      await this.listener.onCallStatus(callSid, update);
    } catch (error) {
      this.logger.warn(`cannot store Twilio status ${status} for ${callSid}: ${error instanceof Error ? error.message : String(error)}`);
      // Twilio retries a failed callback only if configured to; a 503 says so honestly.
      throw new ServiceUnavailableException();
    }
  }
}

/** Answer callbacks set only the answer time, so a late one never hides the final status. */
function statusUpdate(status: string, body: Record<string, string | undefined>): TwilioCallStatus | undefined {
  const at = parseTimestamp(body.Timestamp) ?? new Date().toISOString();
  if (status === 'in-progress' || status === 'answered') return { answeredAt: at };
  if (!FINAL_STATUSES.has(status)) return undefined;
  const duration = body.CallDuration !== undefined ? Number(body.CallDuration) : NaN;
  return { status, endedAt: at, ...(Number.isInteger(duration) && duration >= 0 ? { durationSec: duration } : {}) };
}

/** Twilio sends RFC 2822 dates ("Tue, 24 Nov 2026 14:00:00 +0000"). */
function parseTimestamp(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}
