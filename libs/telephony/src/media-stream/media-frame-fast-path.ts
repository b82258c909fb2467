/**
 * Checked fast path for the frame Twilio sends 50 times a second per call. A media frame in
 * Twilio's exact shape and field order is recognised by a short prefix match, a suffix compare and
 * one scan of the payload, instead of a full JSON.parse. Anything else (other field order,
 * whitespace, escapes, a payload that is not base64, another stream) returns undefined and takes the
 * full parse, so the result is always what JSON.parse would have given.
 */

const MEDIA_PREFIX =
  /\{"event":"media","sequenceNumber":"\d{1,15}","media":\{"track":"inbound","chunk":"\d{1,15}","timestamp":"\d{1,15}","payload":"/y;
/** Base64 alphabet only, then the closing quote: also rules out quotes, escapes and control characters. */
const BASE64_THEN_QUOTE = /[A-Za-z0-9+/]*={0,2}"/y;

/** What follows the payload in a media frame of this stream: `"},"streamSid":"MZ…"}`. */
export function mediaFrameSuffix(streamSid: string): string {
  return '"},"streamSid":"' + streamSid + '"}';
}

/**
 * The payload of a media frame for the stream whose suffix is given (see mediaFrameSuffix), or
 * undefined when the text is not exactly that shape. The stream SID must contain no characters
 * that need escaping in JSON (start frames are validated for that).
 */
export function matchMediaFrame(text: string, suffix: string): string | undefined {
  MEDIA_PREFIX.lastIndex = 0;
  if (!MEDIA_PREFIX.test(text)) return undefined;
  const start = MEDIA_PREFIX.lastIndex;
  const end = text.length - suffix.length;
  // An empty payload is not audio: the full parse reports it as bad base64.
  if (end <= start || (end - start) % 4 !== 0 || !text.endsWith(suffix)) return undefined;
  BASE64_THEN_QUOTE.lastIndex = start;
  if (!BASE64_THEN_QUOTE.test(text) || BASE64_THEN_QUOTE.lastIndex !== end + 1) return undefined;
  return text.slice(start, end);
}

/** `","payload":"`: what separates the timestamp's digits from the payload in the media shape. */
const PAYLOAD_KEY_LENGTH = 13;

/**
 * `media.timestamp` (ms) of a frame matchMediaFrame accepted, whose payload starts at
 * `payloadStart`: its digits (validated by the match) are read backwards from just before
 * `","payload":"`, without a slice or a regex.
 */
export function mediaFrameTimestamp(text: string, payloadStart: number): number {
  let value = 0;
  let scale = 1;
  for (let i = payloadStart - PAYLOAD_KEY_LENGTH - 1; ; i--) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return value;
    value += digit * scale;
    scale *= 10;
  }
}

const MARK_PREFIX = /\{"event":"mark","sequenceNumber":"\d{1,15}","streamSid":"/y;
/** Mark names the gateway sends are short tokens: nothing to unescape. */
const NAME_THEN_END = /[\w.:-]{1,128}"\}\}/y;

/** What follows the stream SID in a mark echo of this stream: `MZ…","mark":{"name":"`. */
export function markFrameInfix(streamSid: string): string {
  return streamSid + '","mark":{"name":"';
}

/**
 * The name in a mark echo for the stream whose infix is given (see markFrameInfix), or undefined
 * when the text is not exactly Twilio's mark shape with a plain token name.
 */
export function matchMarkFrame(text: string, infix: string): string | undefined {
  MARK_PREFIX.lastIndex = 0;
  if (!MARK_PREFIX.test(text) || !text.startsWith(infix, MARK_PREFIX.lastIndex)) return undefined;
  const start = MARK_PREFIX.lastIndex + infix.length;
  NAME_THEN_END.lastIndex = start;
  if (!NAME_THEN_END.test(text) || NAME_THEN_END.lastIndex !== text.length) return undefined;
  return text.slice(start, text.length - 3);
}
