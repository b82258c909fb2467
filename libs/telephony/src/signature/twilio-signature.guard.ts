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
    if (this.verifier.isValidWebhook(request.originalUrl, request.headers, request.secure, body)) return true;
    throw new ForbiddenException('Invalid Twilio signature');
  }
}
