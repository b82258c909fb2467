import { INestApplicationContext } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import type { IncomingMessage } from 'node:http';
import { rememberStreamOrigin } from '../stream-auth/stream-origin';
import type { StreamOrigin } from '../stream-auth/stream-origin';
import { TWILIO_ROUTES } from '../twilio-routes';

/** Twilio frames are a few hundred bytes; anything far larger is abuse. */
export const MEDIA_STREAM_MAX_PAYLOAD_BYTES = 64 * 1024;

/** Who may open a media stream: the origin its upgrade proves (Twilio's signature, a softphone token), or undefined to refuse it (403). */
export type UpgradeVerifier = (request: IncomingMessage) => StreamOrigin | undefined;

/**
 * The WebSocket adapter for the media stream. Frames are handled on raw `ws` listeners, never
 * through Nest's message pipeline (half the CPU per frame), so the adapter parses nothing and
 * binds no message handlers. An optional verifier can refuse a media-stream upgrade with 403 before
 * it happens, and says who opened the stream (other WebSocket gateways on the same adapter are not
 * Twilio's and are left alone).
 */
export class TwilioWsAdapter extends WsAdapter {
  constructor(app: INestApplicationContext, private readonly verifyUpgrade?: UpgradeVerifier) {
    super(app, { messageParser: () => undefined });
  }

  override create(port: number, options: Record<string, any> = {}): any {
    const verifyUpgrade = options.path === TWILIO_ROUTES.mediaStream ? this.verifyUpgrade : undefined;
    return super.create(port, {
      ...options,
      maxPayload: MEDIA_STREAM_MAX_PAYLOAD_BYTES,
      perMessageDeflate: false,
      ...(verifyUpgrade && {
        verifyClient: (info: { req: IncomingMessage }, done: (ok: boolean, code?: number, message?: string) => void) => {
          const origin = verifyUpgrade(info.req);
          if (!origin) return done(false, 403, 'Forbidden');
          rememberStreamOrigin(info.req, origin);
          done(true);
        },
      }),
    });
  }

  override bindMessageHandlers(client: any, handlers: any[], transform: any): void {
    if (handlers.length === 0) return;
    super.bindMessageHandlers(client, handlers, transform);
  }
}
