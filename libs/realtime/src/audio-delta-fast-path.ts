import type { RealtimeServerEvent } from './realtime-events';

export type AudioDeltaEvent = Extract<RealtimeServerEvent, { type: 'response.output_audio.delta' }>;

/**
 * Checked fast path for `response.output_audio.delta`, the bulk of what OpenAI sends: recognised
 * by one anchored match of the known shape (event_id before or after type) and one scan of the
 * base64 delta, instead of a full JSON.parse. Anything else (other field order, whitespace,
 * escapes, a delta that is not base64) returns undefined and takes the full parse, so the result
 * is always what JSON.parse would have given for the fields the gateway uses.
 */
const DELTA_HEAD =
  /^\{(?:"event_id":"([\w-]{1,128})",)?"type":"response\.output_audio\.delta",(?:"event_id":"([\w-]{1,128})",)?"response_id":"([\w-]{1,128})","item_id":"([\w-]{1,128})","output_index":(\d{1,9}),"content_index":(\d{1,9}),"delta":"/;
/** Base64 alphabet only, then the closing `"}`: also rules out quotes, escapes and control characters. */
const BASE64_THEN_END = /[A-Za-z0-9+/]*={0,2}"\}/y;
const TYPE_MARKER = '"type":"response.output_audio.delta"';

export function matchAudioDelta(text: string): AudioDeltaEvent | undefined {
  // Cheap reject for every other event before running the full match.
  const marker = text.indexOf(TYPE_MARKER);
  if (marker === -1 || marker > 160) return undefined;
  const head = DELTA_HEAD.exec(text);
  if (head === null) return undefined;
  const start = head[0].length;
  BASE64_THEN_END.lastIndex = start;
  if (!BASE64_THEN_END.test(text) || BASE64_THEN_END.lastIndex !== text.length) return undefined;
  return {
    type: 'response.output_audio.delta',
    event_id: head[2] ?? head[1],
    response_id: head[3],
    item_id: head[4],
    output_index: Number(head[5]),
    content_index: Number(head[6]),
    delta: text.slice(start, text.length - 2),
  } as AudioDeltaEvent;
}
