import { describe, expect, it } from 'vitest';
import { markFrameInfix, matchMarkFrame, matchMediaFrame, mediaFrameSuffix, mediaFrameTimestamp } from './media-frame-fast-path';
import { mutationsOf } from '../../../../test/support/mutations';

const SID = 'MZ0123456789abcdef0123456789abcdef';
const PAYLOAD = Buffer.from(Array.from({ length: 160 }, (_, i) => (i * 37) & 0xff)).toString('base64');
/** Byte for byte what Twilio sends (field order as documented). */
const twilioMedia = (payload = PAYLOAD, sid = SID) =>
  `{"event":"media","sequenceNumber":"42","media":{"track":"inbound","chunk":"41","timestamp":"820","payload":"${payload}"},"streamSid":"${sid}"}`;
const twilioMark = (name: string, sid = SID) => `{"event":"mark","sequenceNumber":"43","streamSid":"${sid}","mark":{"name":"${name}"}}`;

/** Small deterministic PRNG so the mutation test is repeatable. */

/** What the full parse path would accept as caller audio for this stream, if anything. */
function fullParsePayload(text: string, sid: string): string | undefined {
  try {
    const frame = JSON.parse(text);
    return frame?.event === 'media' && frame.streamSid === sid && typeof frame.media?.payload === 'string' ? frame.media.payload : undefined;
  } catch {
    return undefined;
  }
}

describe('matchMediaFrame', () => {
  const suffix = mediaFrameSuffix(SID);
  /** The timestamp the fast path reads for an accepted frame. */
  const fastTimestamp = (text: string, payload: string) => mediaFrameTimestamp(text, text.length - suffix.length - payload.length);

  it("returns the payload of Twilio's media frame, as JSON.parse would", () => {
    const text = twilioMedia();
    expect(matchMediaFrame(text, suffix)).toBe(PAYLOAD);
    expect(matchMediaFrame(text, suffix)).toBe(JSON.parse(text).media.payload);
  });

  it('reads media.timestamp in place, as Number(JSON.parse) would', () => {
    for (const timestamp of ['0', '7', '820', '000123', '999999999999999']) {
      const text = twilioMedia().replace('"timestamp":"820"', `"timestamp":"${timestamp}"`);
      expect(fastTimestamp(text, matchMediaFrame(text, suffix)!)).toBe(Number(JSON.parse(text).media.timestamp));
    }
  });

  it.each([
    ['another stream', twilioMedia(PAYLOAD, 'MZother')],
    ['fields in another order', `{"event":"media","streamSid":"${SID}","sequenceNumber":"1","media":{"track":"inbound","chunk":"1","timestamp":"20","payload":"${PAYLOAD}"}}`],
    ['whitespace', twilioMedia().replace('"event":"media",', '"event": "media", ')],
    ['an escaped payload', twilioMedia(PAYLOAD.replace('/', '\\/'))],
    ['a payload smuggling another field', twilioMedia('AAAA","extra":"AAAA')],
    ['a payload that is not base64', twilioMedia('AA$A')],
    ['a payload cut short', twilioMedia(PAYLOAD.slice(0, -1))],
    ['a control character', twilioMedia('AA\u0001A')],
    ['trailing bytes', twilioMedia() + ' '],
    ['no track', `{"event":"media","sequenceNumber":"1","media":{"chunk":"1","timestamp":"20","payload":"${PAYLOAD}"},"streamSid":"${SID}"}`],
    ['a mark frame', twilioMark('1')],
  ])('leaves %s to the full parse', (_case, text) => {
    expect(matchMediaFrame(text, suffix)).toBeUndefined();
  });

  it('never accepts what the full parse would not (random mutations of a real frame)', () => {
    const alphabet = '"\\{}:,AZaz09+/=_ \u0001é';
    const original = twilioMedia('AAAAAAAAAAAAAAAA');
    let accepted = 0;
    for (const text of mutationsOf(original, { count: 5000, seed: 7, alphabet })) {
      const fast = matchMediaFrame(text, suffix);
      if (fast === undefined) continue;
      accepted++;
      expect(fast).toBe(fullParsePayload(text, SID));
      expect(fastTimestamp(text, fast)).toBe(Number(JSON.parse(text).media.timestamp));
    }
    // Some mutants (digits or payload letters changed) still take the fast path: the check is real.
    expect(accepted).toBeGreaterThan(0);
  });
});

describe('matchMarkFrame', () => {
  const infix = markFrameInfix(SID);

  it("returns the name of Twilio's mark echo, as JSON.parse would", () => {
    expect(matchMarkFrame(twilioMark('17'), infix)).toBe('17');
    expect(matchMarkFrame(twilioMark('item_1:200'), infix)).toBe(JSON.parse(twilioMark('item_1:200')).mark.name);
  });

  it.each([
    ['another stream', twilioMark('1', 'MZother')],
    ['an escaped name', twilioMark('a\\"b')],
    ['a name with spaces', twilioMark('my label')],
    ['an empty name', twilioMark('')],
    ['trailing bytes', twilioMark('1') + '}'],
    ['a media frame', twilioMedia()],
  ])('leaves %s to the full parse', (_case, text) => {
    expect(matchMarkFrame(text, infix)).toBeUndefined();
  });
});
