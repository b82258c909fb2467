import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { MediaStreamHandler, TwilioMediaStream, TwilioRestClient } from '@app/telephony';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import type { IncomingMessage } from 'node:http';
import { Call } from './call/call';
import { CallFactory } from './call/call.factory';
import { CallRegistry } from './call-registry.service';

/** Wires each Twilio media stream to a new Call (and through it to an OpenAI Realtime session). */
@Injectable()
export class CallOrchestrator extends MediaStreamHandler implements OnApplicationShutdown {
  constructor(
    private readonly calls: CallFactory,
    private readonly registry: CallRegistry,
    private readonly twilio: TwilioRestClient,
    @InjectPinoLogger('Call') private readonly logger: PinoLogger,
  ) {
    super();
  }

  acceptMediaStream(stream: TwilioMediaStream, request: IncomingMessage): void {
    const connectionLogger = this.logger.logger.child({ context: 'Call', remoteAddress: request.socket.remoteAddress });
    // Where Twilio reached this pod: the base of a warm transfer's callback URLs (PUBLIC_URL when set).
    const callbackBaseUrl = this.twilio.publicBaseUrl(request);
    const call: Call = this.calls.create(stream, connectionLogger, (ended) => this.registry.remove(ended), callbackBaseUrl);
    this.registry.add(call);
  }

  onApplicationShutdown(): void {
    for (const call of this.registry.all()) call.end('server-shutdown', 1001);
  }
}
