import { Inject, Logger, Optional } from '@nestjs/common';
import { OnGatewayConnection, WebSocketGateway } from '@nestjs/websockets';
import type { IncomingMessage } from 'node:http';
import type WebSocket from 'ws';
import { TWILIO_OPTIONS } from '../twilio.module-definition';
import type { TwilioModuleOptions } from '../twilio.module-definition';
import { StreamStartVerifier } from '../stream-auth/stream-start-verifier.service';
import { streamOriginOf } from '../stream-auth/stream-origin';
import { TWILIO_ROUTES } from '../twilio-routes';
import { CallAdmission } from '../twiml/call-admission';
import { MediaStreamHandler } from './media-stream-handler';
import { TwilioMediaStream } from './twilio-media-stream';

/** Accepts Twilio Media Stream sockets on the HTTP port and hands each to the call orchestration. */
@WebSocketGateway({ path: TWILIO_ROUTES.mediaStream })
export class MediaStreamGateway implements OnGatewayConnection {
  private readonly logger = new Logger(MediaStreamGateway.name);

  constructor(
    private readonly handler: MediaStreamHandler,
    private readonly verifier: StreamStartVerifier,
    @Inject(TWILIO_OPTIONS) private readonly options: TwilioModuleOptions,
    @Optional() private readonly admission?: CallAdmission,
  ) {}

  // Synchronous on purpose: Nest does not await it and Twilio sends `connected`/`start` at once.
  handleConnection(socket: WebSocket, request: IncomingMessage): void {
    if (this.admission && !this.admission.admitStream()) {
      // 1013 "try again later": beyond capacity, even if the webhook let the call through.
      socket.close(1013, 'over capacity');
      return;
    }
    // An upgrade nothing checked (no verifier installed) can only be taken as Twilio's.
    const origin = streamOriginOf(request) ?? 'twilio';
    const stream = new TwilioMediaStream(socket, {
      startTimeoutMs: this.options.mediaStreamStartTimeoutMs,
      maxBufferedBytes: this.options.mediaStreamMaxBufferedBytes,
      verifyStart: (start) => this.verifier.verify(start, origin),
      onListenerError: (error) => this.logger.error(`a media-stream frame handler failed; closing that stream: ${describe(error)}`),
    });
    this.handler.acceptMediaStream(stream, request);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
