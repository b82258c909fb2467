/**
 * Twilio Media Streams messages of a bidirectional stream (`<Connect><Stream>`), as documented at
 * twilio.com/docs/voice/media-streams/websocket-messages. Every frame is a JSON text frame with
 * `event` at the top level; audio is base64 µ-law at 8 kHz, mono.
 */

export interface TwilioStartFrame {
  event: 'start';
  sequenceNumber: string;
  streamSid: string;
  start: {
    accountSid: string;
    streamSid: string;
    callSid: string;
    tracks: string[];
    customParameters?: Record<string, string>;
    mediaFormat: { encoding: string; sampleRate: number; channels: number };
  };
}

export interface TwilioMediaFrame {
  event: 'media';
  streamSid: string;
  media: { track?: string; chunk?: string; timestamp?: string; payload: string };
}

export interface TwilioMarkFrame {
  event: 'mark';
  streamSid: string;
  mark: { name: string };
}

export interface TwilioDtmfFrame {
  event: 'dtmf';
  streamSid: string;
  dtmf: { track?: string; digit: string };
}

export interface TwilioStopFrame {
  event: 'stop';
  streamSid: string;
  stop?: { accountSid?: string; callSid?: string };
}

export type TwilioInboundFrame =
  | { event: 'connected'; protocol?: string; version?: string }
  | TwilioStartFrame
  | TwilioMediaFrame
  | TwilioMarkFrame
  | TwilioDtmfFrame
  | TwilioStopFrame;

/** What a stream's `start` frame claims, before its token is checked. */
export interface ReceivedStart {
  streamSid: string;
  callSid: string;
  accountSid: string;
  customParameters: Record<string, string>;
  mediaFormat: { encoding: string; sampleRate: number; channels: number };
}

/** What the caller's side of the stream told us in `start`, once its stream token was verified. */
export interface MediaStreamStart extends ReceivedStart {
  /** The stream's `<Parameter>`s, without the credentials (stream token, sealed context). */
  customParameters: Record<string, string>;
  /** Who opened the stream: a Twilio call, or the console's browser softphone (never touches Twilio's REST API). */
  origin: 'twilio' | 'softphone';
  /** What an outbound call was placed with (`POST /calls`), carried with the call; undefined for inbound calls. */
  context?: { profile?: string; variables: Readonly<Record<string, string>>; placedBy?: string };
  /** The W3C trace context of the call's webhook (its `traceparent` parameter), when it carried a well-formed one. */
  traceParent?: string;
}
