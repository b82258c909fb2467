import { Module } from '@nestjs/common';
import { TwilioCallEventsController } from './call-status/twilio-call-events.controller';
import { TwilioCallStatusController } from './call-status/twilio-call-status.controller';
import { MediaStreamGateway } from './media-stream/media-stream.gateway';
import { TwilioRestClient } from './rest/twilio-rest-client';
import { TwilioSignatureGuard } from './signature/twilio-signature.guard';
import { TwilioSignatureVerifier } from './signature/twilio-signature.verifier';
import { StreamCredentials } from './stream-auth/stream-credentials.service';
import { StreamStartVerifier } from './stream-auth/stream-start-verifier.service';
import { ConfigurableTwilioModule } from './twilio.module-definition';
import { IncomingCallController } from './twiml/incoming-call.controller';
import { WarmTransferController, WarmTransferTickets } from './warm-transfer/warm-transfer.controller';

/**
 * Everything that knows Twilio: the voice webhook (TwiML), the Media Streams WebSocket, the call
 * status callback, request signatures and the REST API. Registered once by the application:
 *
 *     TwilioModule.forRoot({ ...options, handler: CallOrchestrator, admission: GatewayAdmission, callStatus: TwilioStatusRecorder, imports: [operations, callRecords] })
 *
 * Global: TwilioRestClient, TwilioSignatureVerifier, TwilioSignatureGuard, StreamCredentials (stream
 * tokens, sealed call contexts), StreamStartVerifier and WarmTransferTickets are available to every module.
 */
@Module({
  controllers: [IncomingCallController, TwilioCallStatusController, TwilioCallEventsController, WarmTransferController],
  providers: [MediaStreamGateway, TwilioRestClient, TwilioSignatureVerifier, TwilioSignatureGuard, StreamCredentials, StreamStartVerifier, WarmTransferTickets],
  exports: [TwilioRestClient, TwilioSignatureVerifier, TwilioSignatureGuard, StreamCredentials, StreamStartVerifier, WarmTransferTickets],
})
export class TwilioModule extends ConfigurableTwilioModule {}
