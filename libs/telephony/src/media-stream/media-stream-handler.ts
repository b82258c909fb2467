import type { IncomingMessage } from 'node:http';
import { TwilioMediaStream } from './twilio-media-stream';

/**
 * What the media-stream gateway hands each new stream to (the call orchestration).
 * An abstract class so it can be used as the injection token.
 */
export abstract class MediaStreamHandler {
  /** Called synchronously on connection; must set the stream's listener before returning. */
  abstract acceptMediaStream(stream: TwilioMediaStream, request: IncomingMessage): void;
}
