import { Controller, Get, Header, HttpCode, Inject, Optional, Post, Req, UseGuards } from '@nestjs/common';
import type { Request } from 'express';
import twilio from 'twilio';
import { TwilioSignatureGuard } from '../signature/twilio-signature.guard';
import { TWILIO_OPTIONS } from '../twilio.module-definition';
import type { TwilioModuleOptions } from '../twilio.module-definition';
import { TWILIO_ROUTES } from '../twilio-routes';
import { CallAdmission } from './call-admission';
import { buildStreamUrl } from './stream-url';
import { hangUpTwiml } from './twiml';

/** Call details forwarded to the media stream as `<Parameter>`s (they arrive in `start.customParameters`). */
const FORWARDED_PARAMETERS = ['From', 'To', 'CallSid'] as const;
/** Twilio: each `<Parameter>`'s name plus value must stay under 500 characters. */
const MAX_PARAMETER_LENGTH = 400;

/** Twilio's voice webhook: answers an incoming call with TwiML that connects it to our media stream. */
@Controller()
@UseGuards(TwilioSignatureGuard)
export class IncomingCallController {
  constructor(
    @Inject(TWILIO_OPTIONS) private readonly options: TwilioModuleOptions,
    @Optional() private readonly admission?: CallAdmission,
  ) {}

  @Get(TWILIO_ROUTES.incomingCall)
  @HttpCode(200)
  @Header('Content-Type', 'text/xml')
  incomingCallGet(@Req() request: Request): Promise<string> {
    return this.connectTwiml(request, request.query as Record<string, unknown>);
  }

  @Post(TWILIO_ROUTES.incomingCall)
  @HttpCode(200)
  @Header('Content-Type', 'text/xml')
  incomingCallPost(@Req() request: Request): Promise<string> {
    return this.connectTwiml(request, { ...(request.query as Record<string, unknown>), ...(request.body ?? {}) });
  }

  private async connectTwiml(request: Request, params: Record<string, unknown>): Promise<string> {
    const callSid = typeof params.CallSid === 'string' ? params.CallSid : undefined;
    const decision = await this.admission?.admit({ callSid });
    if (decision && !decision.admitted) return hangUpTwiml(decision.message);
    const response = new twilio.twiml.VoiceResponse();
    if (this.options.welcomeMessage) response.say(this.options.welcomeMessage);
    const url = buildStreamUrl(this.options.publicUrl, TWILIO_ROUTES.mediaStream, request.headers, request.secure);
    const stream = response.connect().stream({ url });
    for (const name of FORWARDED_PARAMETERS) {
      const value = params[name];
      if (typeof value === 'string' && value.length > 0 && value.length <= MAX_PARAMETER_LENGTH) {
        stream.parameter({ name, value });
      }
    }
    return response.toString();
  }
}
