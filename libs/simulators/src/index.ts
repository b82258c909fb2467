export * from './audio/mulaw';
export * from './openai-realtime/realtime-simulator';
export * from './openai-realtime/simulated-session';
export * from './openai-realtime/tone-voice';
export * from './twilio-media-stream/fake-twilio-call';
export * from './twilio-rest/fake-twilio-rest-api';
