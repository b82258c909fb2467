import { Controller, Get, Header, HttpCode, Inject, Optional, Post, Req, UseGuards } from '@nestjs/common';
import { appConfig, assistantConfig } from '@app/config';
import type { AppConfig, AssistantConfig } from '@app/config';
import type { Request } from 'express';
import twilio from 'twilio';
import { MEDIA_STREAM_PATH } from '../media-stream/media-stream.gateway';
import { TwilioSignatureGuard } from '../signature/twilio-signature.guard';
import { CallAdmission } from './call-admission';
import { buildStreamUrl } from './stream-url';

/** Call details forwarded to the media stream as `<Parameter>`s (they arrive in `start.customParameters`). */
const FORWARDED_PARAMETERS = ['From', 'To', 'CallSid'] as const;
/** Twilio: each `<Parameter>`'s name plus value must stay under 500 characters. */
const MAX_PARAMETER_LENGTH = 400;

/** Twilio's voice webhook: answers an incoming call with TwiML that connects it to our media stream. */
@Controller()
@UseGuards(TwilioSignatureGuard)
export class IncomingCallController {
  constructor(
    @Inject(appConfig.KEY) private readonly app: AppConfig,
    @Inject(assistantConfig.KEY) private readonly assistant: AssistantConfig,
    @Optional() private readonly admission?: CallAdmission,
  ) {}

  @Get('incoming-call')
  @HttpCode(200)
  @Header('Content-Type', 'text/xml')
  incomingCallGet(@Req() request: Request): string {
    return this.connectTwiml(request, request.query as Record<string, unknown>);
  }

  @Post('incoming-call')
  @HttpCode(200)
  @Header('Content-Type', 'text/xml')
  incomingCallPost(@Req() request: Request): string {
    return this.connectTwiml(request, { ...(request.query as Record<string, unknown>), ...(request.body ?? {}) });
  }

  private connectTwiml(request: Request, params: Record<string, unknown>): string {
    const response = new twilio.twiml.VoiceResponse();
    const decision = this.admission?.admit();
    if (decision && !decision.admitted) {
      response.say(decision.message);
      response.hangup();
      return response.toString();
    }
    if (this.assistant.twimlWelcomeMessage) response.say(this.assistant.twimlWelcomeMessage);
    const url = buildStreamUrl(this.app.publicUrl, MEDIA_STREAM_PATH, request.headers, request.secure);
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
