import { Inject, Logger, Optional } from '@nestjs/common';
import { OnGatewayConnection, WebSocketGateway } from '@nestjs/websockets';
import type { IncomingMessage } from 'node:http';
import type WebSocket from 'ws';
import { TwilioRestClient } from '../rest/twilio-rest-client';
import { TWILIO_OPTIONS } from '../twilio.module-definition';
import type { TwilioModuleOptions } from '../twilio.module-definition';
import { StreamStartVerifier } from '../stream-auth/stream-start-verifier.service';
import { streamOriginOf } from '../stream-auth/stream-origin';
import { TWILIO_ROUTES } from '../twilio-routes';
import { CallAdmission } from '../twiml/call-admission';
import type { AdmissionDecision } from '../twiml/call-admission';
import { hangUpTwiml } from '../twiml/twiml';
import { MediaStreamHandler } from './media-stream-handler';
import type { MediaStreamStart } from './twilio-frames';
import { TwilioMediaStream } from './twilio-media-stream';

/** How long Twilio gets to act on a refusal redirect (it ends the stream itself) before the stream is closed. */
export const REFUSED_STREAM_GRACE_MS = 10_000;

/** Accepts Twilio Media Stream sockets on the HTTP port and hands each to the call orchestration. */
@WebSocketGateway({ path: TWILIO_ROUTES.mediaStream })
export class MediaStreamGateway implements OnGatewayConnection {
  private readonly logger = new Logger(MediaStreamGateway.name);

  constructor(
    private readonly handler: MediaStreamHandler,
    private readonly twilioApi: TwilioRestClient,
    private readonly verifier: StreamStartVerifier,
    @Inject(TWILIO_OPTIONS) private readonly options: TwilioModuleOptions,
    @Optional() private readonly admission?: CallAdmission,
  ) {}

  // Synchronous on purpose: Nest does not await it and Twilio sends `connected`/`start` at once.
  // Admission waits for a valid `start`: a socket that never sends one takes no capacity and is
  // closed at the start timeout.
  handleConnection(socket: WebSocket, request: IncomingMessage): void {
    const admission = this.admission;
    // An upgrade nothing checked (no verifier installed) can only be taken as Twilio's.
    const origin = streamOriginOf(request) ?? 'twilio';
    const stream: TwilioMediaStream = new TwilioMediaStream(socket, {
      startTimeoutMs: this.options.mediaStreamStartTimeoutMs,
      maxBufferedBytes: this.options.mediaStreamMaxBufferedBytes,
      // The order at `start`: the stream token first (a refused one never reaches admission and
      // takes no capacity), then admission, then the call (and its OpenAI session).
      verifyStart: (start) => this.verifier.verify(start, origin),
      admitStart: admission
        ? (start) => {
            const decision = admission.admitStream(start);
            if (!decision.admitted) this.refuse(stream, start, decision, admission);
            return decision.admitted;
          }
        : undefined,
      onListenerError: (error) => this.logger.error(`a media-stream frame handler failed; closing that stream: ${describe(error)}`),
    });
    this.handler.acceptMediaStream(stream, request);
  }

  /**
   * The caller is told, never just dropped: Twilio is asked to replace the call's TwiML with the
   * spoken refusal (it then ends the stream); only without Twilio credentials (or if Twilio refuses,
   * or for the browser softphone, which has no Twilio call) is the stream closed with 1013.
   */
  private refuse(stream: TwilioMediaStream, start: MediaStreamStart, decision: AdmissionDecision & { admitted: false }, admission: CallAdmission): void {
    const close = (why: string) => {
      this.logger.warn(`media stream of ${start.callSid} refused at start (${decision.reason}); ${why}: closing it (1013)`);
      admission.streamRefused(start, 'closed');
      stream.close(1013, 'over capacity');
    };
    if (!this.twilioApi.isConfigured) return close('no Twilio credentials to redirect the call');
    if (start.origin === 'softphone') return close('a softphone call has no Twilio call to redirect');
    this.twilioApi.redirectCall(start.callSid, hangUpTwiml(decision.message)).then(
      () => {
        this.logger.warn(`media stream of ${start.callSid} refused at start (${decision.reason}); the call was redirected to the refusal`);
        admission.streamRefused(start, 'redirected');
        stream.closeAfter(REFUSED_STREAM_GRACE_MS, 1013, 'over capacity');
      },
      (error: unknown) => close(`the refusal redirect failed (${error instanceof Error ? error.message : String(error)})`),
    );
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
