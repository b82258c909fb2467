import { Inject, Injectable } from '@nestjs/common';
import { dialTwiml, hangUpTwiml, TwilioRestClient } from '@app/telephony';
import type { Logger } from 'pino';
import type { AgentOptions } from '../agent/agent-options';
import { ORCHESTRATION_OPTIONS } from '../orchestration.module-definition';
import type { OrchestrationModuleOptions } from '../orchestration.module-definition';

/**
 * What a caller gets when the OpenAI side cannot be recovered: the live call is redirected through
 * the Twilio REST API to TwiML that apologises and then transfers to the fallback number, or hangs
 * up politely when none is set. The new TwiML replaces the running `<Connect><Stream>`, so closing
 * the media stream afterwards no longer affects the call.
 */
@Injectable()
export class CallFallback {
  private readonly fallback: AgentOptions['fallback'];

  constructor(
    private readonly rest: TwilioRestClient,
    @Inject(ORCHESTRATION_OPTIONS) options: OrchestrationModuleOptions,
  ) {
    this.fallback = options.agent.fallback;
  }

  private twiml(): string {
    const { message, phoneNumber } = this.fallback;
    return phoneNumber ? dialTwiml(phoneNumber, message) : hangUpTwiml(message);
  }

  /** Redirects the call; never throws. Returns whether Twilio accepted the redirect. */
  async takeOver(callSid: string | undefined, logger: Logger): Promise<boolean> {
    if (!callSid) return false;
    if (!this.rest.isConfigured) {
      logger.error('cannot redirect the caller to the fallback: TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are not set; the call will end');
      return false;
    }
    try {
      await this.rest.redirectCall(callSid, this.twiml());
      logger.warn({ transfer: Boolean(this.fallback.phoneNumber) }, 'caller redirected to the fallback');
      return true;
    } catch (error) {
      // twilio-node errors carry status, code and message; never the credentials.
      const { status, code, message } = error as { status?: number; code?: number; message?: string };
      logger.error({ status, code, message }, 'Twilio refused the fallback redirect; the call will end');
      return false;
    }
  }
}
