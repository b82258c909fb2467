import { CanActivate, ExecutionContext, ForbiddenException, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { TwilioSignatureVerifier } from './twilio-signature.verifier';

/** Refuses a Twilio webhook (403) unless its X-Twilio-Signature matches. */
@Injectable()
export class TwilioSignatureGuard implements CanActivate {
  constructor(private readonly verifier: TwilioSignatureVerifier) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<Request>();
    const body = request.method === 'POST' && request.body && typeof request.body === 'object' ? request.body : {};
    if (this.verifier.isValidWebhook(request.originalUrl, request, body)) return true;
    throw new ForbiddenException(this.verifier.refusesEverything ? 'Twilio requests are refused: no TWILIO_AUTH_TOKEN to check their signatures' : 'Invalid Twilio signature');
  }
}
