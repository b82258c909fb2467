import { BadRequestException, Controller, ForbiddenException, Get, Header, HttpCode, Inject, Logger, Optional, Post, Req, UseGuards } from '@nestjs/common';
import { GatewayTracing, TRACEPARENT_PARAMETER } from '@app/tracing';
import type { Request } from 'express';
import twilio from 'twilio';
import { TwilioSignatureGuard } from '../signature/twilio-signature.guard';
import { CALL_CONTEXT_QUERY, callContextParameters } from '../stream-auth/call-context';
import { STREAM_TOKEN_PARAMETER, StreamCredentials } from '../stream-auth/stream-credentials.service';
import { TWILIO_OPTIONS } from '../twilio.module-definition';
import type { TwilioModuleOptions } from '../twilio.module-definition';
import { TWILIO_ROUTES } from '../twilio-routes';
import { CallAdmission } from './call-admission';
import { CallDisclosure } from './call-disclosure';
import { buildStreamUrl } from './stream-url';
import { hangUpTwiml } from './twiml';

/** Call details forwarded to the media stream as `<Parameter>`s (they arrive in `start.customParameters`). */
const FORWARDED_PARAMETERS = ['From', 'To', 'CallSid'] as const;
/** Twilio: each `<Parameter>`'s name plus value must stay under 500 characters. */
const MAX_PARAMETER_LENGTH = 400;
const CALL_SID = /^CA[0-9A-Za-z]{1,64}$/;
const ACCOUNT_SID = /^AC[0-9A-Za-z]{1,64}$/;

/**
 * Twilio's voice webhook: answers a call with TwiML that connects it to our media stream, with a
 * stream token minted for this call (and, for an outbound call, the call context it was placed
 * with) as `<Parameter>`s: whichever pod the stream reaches can check them.
 */
@Controller()
@UseGuards(TwilioSignatureGuard)
export class IncomingCallController {
  private readonly logger = new Logger('IncomingCall');

  constructor(
    @Inject(TWILIO_OPTIONS) private readonly options: TwilioModuleOptions,
    private readonly credentials: StreamCredentials,
    @Optional() private readonly admission?: CallAdmission,
    @Optional() private readonly tracing?: GatewayTracing,
    @Optional() private readonly disclosure?: CallDisclosure,
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

  /** The webhook's span (`twilio.webhook`); the call's trace continues from it through the stream's `traceparent`. */
  private async connectTwiml(request: Request, params: Record<string, unknown>): Promise<string> {
    const callSid = typeof params.CallSid === 'string' && CALL_SID.test(params.CallSid) ? params.CallSid : undefined;
    const span = this.tracing?.startSpan('twilio.webhook', {
      kind: 'server',
      parent: typeof request.headers[TRACEPARENT_PARAMETER] === 'string' ? request.headers[TRACEPARENT_PARAMETER] : undefined,
      attributes: { 'http.request.method': request.method, 'http.route': TWILIO_ROUTES.incomingCall, 'call.sid': callSid },
    });
    try {
      const twiml = await this.answer(request, params, span?.traceParent);
      span?.setAttribute('http.response.status_code', 200);
      return twiml;
    } catch (error) {
      const status = typeof (error as { getStatus?: () => number }).getStatus === 'function' ? (error as { getStatus: () => number }).getStatus() : 500;
      span?.setAttribute('http.response.status_code', status);
      span?.setError(`HTTP ${status}`);
      throw error;
    } finally {
      span?.end();
    }
  }

  private async answer(request: Request, params: Record<string, unknown>, traceParent: string | undefined): Promise<string> {
    const callSid = params.CallSid;
    if (typeof callSid !== 'string' || !CALL_SID.test(callSid)) throw new BadRequestException('CallSid is missing or malformed');
    const accountSid = typeof params.AccountSid === 'string' && ACCOUNT_SID.test(params.AccountSid) ? params.AccountSid : '';
    if (this.options.accountSid && accountSid !== this.options.accountSid) throw new ForbiddenException('AccountSid is not this gateway\'s Twilio account');
    const sealedContext = request.query[CALL_CONTEXT_QUERY];
    const context = typeof sealedContext === 'string' ? this.credentials.openContext(sealedContext) : undefined;
    if (sealedContext !== undefined && !context) {
      // A signed request with a context we cannot open: placed under another signing secret, or too long ago.
      this.logger.error(`call ${callSid}: its call context cannot be opened (another GATEWAY_SIGNING_SECRET, or expired); hanging up`);
      return hangUpTwiml();
    }
    const decision = await this.admission?.admit({ callSid });
    if (decision && !decision.admitted) return hangUpTwiml(decision.message);
    const response = new twilio.twiml.VoiceResponse();
    if (this.options.welcomeMessage) response.say(this.options.welcomeMessage);
    // Before the stream, so it is heard before the assistant (and before a recording, which starts with the stream).
    const disclosure = this.disclosure?.disclosureFor({ callSid, to: typeof params.To === 'string' ? params.To : undefined, context });
    if (disclosure) response.say(disclosure);
    const url = buildStreamUrl(this.options, TWILIO_ROUTES.mediaStream, request);
    const stream = response.connect().stream({ url });
    for (const name of FORWARDED_PARAMETERS) {
      const value = params[name];
      if (typeof value === 'string' && value.length > 0 && value.length <= MAX_PARAMETER_LENGTH) {
        stream.parameter({ name, value });
      }
    }
    if (typeof sealedContext === 'string') for (const parameter of callContextParameters(sealedContext)) stream.parameter(parameter);
    stream.parameter({ name: STREAM_TOKEN_PARAMETER, value: this.credentials.mintTwilioToken(callSid, accountSid, sealedContext as string | undefined) });
    // Plain and bound to nothing (the stream's checks ignore it): the call's spans join this trace.
    if (traceParent) stream.parameter({ name: TRACEPARENT_PARAMETER, value: traceParent });
    return response.toString();
  }
}
