export * from './twilio.module';
export * from './media-stream/media-stream-handler';
export * from './media-stream/media-stream.gateway';
export * from './media-stream/twilio-frames';
export * from './media-stream/twilio-media-stream';
export * from './media-stream/twilio-ws.adapter';
export * from './twiml/stream-url';
