import { Module } from '@nestjs/common';
import { TwilioCallStatusController } from './call-status/twilio-call-status.controller';
import { MediaStreamGateway } from './media-stream/media-stream.gateway';
import { TwilioRestClient } from './rest/twilio-rest-client';
import { TwilioSignatureGuard } from './signature/twilio-signature.guard';
import { TwilioSignatureVerifier } from './signature/twilio-signature.verifier';
import { ConfigurableTwilioModule } from './twilio.module-definition';
import { IncomingCallController } from './twiml/incoming-call.controller';

/**
 * Everything that knows Twilio: the voice webhook (TwiML), the Media Streams WebSocket, the call
 * status callback, request signatures and the REST API. Registered once by the application:
 *
 *     TwilioModule.forRoot({ ...options, handler: CallOrchestrator, admission: GatewayAdmission, callStatus: TwilioStatusRecorder, imports: [operations, callRecords] })
 *
 * Global: TwilioRestClient, TwilioSignatureVerifier and TwilioSignatureGuard are available to every module.
 */
@Module({
  controllers: [IncomingCallController, TwilioCallStatusController],
  providers: [MediaStreamGateway, TwilioRestClient, TwilioSignatureVerifier, TwilioSignatureGuard],
  exports: [TwilioRestClient, TwilioSignatureVerifier, TwilioSignatureGuard],
})
export class TwilioModule extends ConfigurableTwilioModule {}
