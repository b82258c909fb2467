/**
 * The gateway's Twilio entry points, as Twilio is configured to call them (and as a Kubernetes
 * ingress must route them): the voice webhook, the media-stream WebSocket and the status callbacks (call, answering machine, recording).
 */
export const TWILIO_ROUTES = {
  /** Voice webhook (GET or POST): answers with TwiML that connects the call to the media stream. */
  incomingCall: '/incoming-call',
  /** Twilio Media Streams WebSocket. */
  mediaStream: '/media-stream',
  /** Status callback of the calls the gateway places (POST, form-encoded). */
  callStatus: '/twilio/call-status',
  /** Asynchronous answering-machine detection result (AnsweredBy) of the calls the gateway places (POST, form-encoded). */
  amdStatus: '/twilio/amd-status',
  /** Recording status callback of the recordings the gateway starts (POST, form-encoded). */
  recordingStatus: '/twilio/recording-status',
} as const;
