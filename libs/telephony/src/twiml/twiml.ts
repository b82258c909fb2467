import twilio from 'twilio';

/** TwiML that says `message` (when given), then hangs up. */
export function hangUpTwiml(message?: string): string {
  const response = new twilio.twiml.VoiceResponse();
  if (message) response.say(message);
  response.hangup();
  return response.toString();
}

/** TwiML that dials `number` (E.164), after saying `message` when given. */
export function dialTwiml(number: string, message?: string): string {
  const response = new twilio.twiml.VoiceResponse();
  if (message) response.say(message);
  response.dial(number);
  return response.toString();
}
