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

/** What the human agent of a warm transfer hears, and where their keypad answer goes. */
export interface AgentOfferTwiml {
  /** Said first: what the conversation was about. */
  summary: string;
  /** The Gather's action: the signed answer URL of the transfer. */
  answerUrl: string;
  /** Seconds to wait for a key after the prompt. */
  timeoutSeconds: number;
}

/**
 * The human leg of a warm transfer: the summary, then "press 1 / 2" in one `<Gather>` (its action
 * is posted with no digits too, when nothing was pressed), then a goodbye if Twilio runs past it.
 */
export function agentOfferTwiml(offer: AgentOfferTwiml): string {
  const response = new twilio.twiml.VoiceResponse();
  const gather = response.gather({ numDigits: 1, action: offer.answerUrl, method: 'POST', timeout: offer.timeoutSeconds, actionOnEmptyResult: true });
  gather.say('A caller is waiting to be transferred to you.');
  gather.say(offer.summary);
  gather.say('Press 1 to take the call, or 2 to decline.');
  response.say('No answer was received. Goodbye.');
  response.hangup();
  return response.toString();
}

/**
 * Joins a leg to the conference `room`; the room closes when either leg leaves it. With
 * `joinCallback`, Twilio posts the room's participant joins there (`StatusCallbackEvent=participant-join`).
 */
export function conferenceTwiml(room: string, message?: string, joinCallback?: string): string {
  const response = new twilio.twiml.VoiceResponse();
  if (message) response.say(message);
  const callback = joinCallback ? { statusCallback: joinCallback, statusCallbackMethod: 'POST', statusCallbackEvent: ['join' as const] } : {};
  response.dial().conference({ startConferenceOnEnter: true, endConferenceOnExit: true, beep: 'false', ...callback }, room);
  return response.toString();
}
