/**
 * The gateway's Twilio entry points, as Twilio is configured to call them (and as a Kubernetes
 * ingress must route them): the voice webhook, the media-stream WebSocket, the status callbacks (call, answering machine, recording) and the warm-transfer callbacks.
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
  /** Warm transfer: the human agent's keypad answer (the `<Gather>` action, POST); `:ticket` is the signed transfer id. */
  transferAnswer: '/twilio/transfer/:ticket/answer',
  /** Warm transfer: the status callback of the human agent's leg (POST). */
  transferStatus: '/twilio/transfer/:ticket/status',
  /** Warm transfer: the conference status callback of the human agent's `<Conference>` (participant joins, POST). */
  transferConference: '/twilio/transfer/:ticket/conference',
} as const;

/** A warm-transfer callback path for one ticket. */
export function transferPath(
  route: typeof TWILIO_ROUTES.transferAnswer | typeof TWILIO_ROUTES.transferStatus | typeof TWILIO_ROUTES.transferConference,
  ticket: string,
): string {
  return route.replace(':ticket', encodeURIComponent(ticket));
}
