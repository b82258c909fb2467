import { Module } from '@nestjs/common';
import { TwilioRestClient } from './rest/twilio-rest-client';
import { TwilioSignatureGuard } from './signature/twilio-signature.guard';
import { TwilioSignatureVerifier } from './signature/twilio-signature.verifier';

/** Twilio's REST API and request signatures, for any module that needs them (no controllers). */
@Module({
  providers: [TwilioRestClient, TwilioSignatureVerifier, TwilioSignatureGuard],
  exports: [TwilioRestClient, TwilioSignatureVerifier, TwilioSignatureGuard],
})
export class TwilioApiModule {}
