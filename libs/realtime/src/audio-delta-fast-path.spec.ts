import { describe, expect, it } from 'vitest';
import { matchAudioDelta } from './audio-delta-fast-path';
import { mutationsOf } from '../../../test/support/mutations';

const DELTA = Buffer.from(Array.from({ length: 800 }, (_, i) => (i * 31) & 0xff)).toString('base64');
/** As the GA API sends it: type first. */
const openAiDelta = (delta = DELTA) =>
  `{"type":"response.output_audio.delta","event_id":"event_4950","response_id":"resp_001","item_id":"msg_008","output_index":0,"content_index":0,"delta":"${delta}"}`;
/** As the documentation (and the simulator) write it: event_id first. */
const documentedDelta = (delta = DELTA) =>
  `{"event_id":"event_4950","type":"response.output_audio.delta","response_id":"resp_001","item_id":"msg_008","output_index":0,"content_index":0,"delta":"${delta}"}`;


describe('matchAudioDelta', () => {
  it.each([
    ['type first', openAiDelta()],
    ['event_id first', documentedDelta()],
  ])('parses a delta with %s exactly as JSON.parse does', (_case, text) => {
    expect(matchAudioDelta(text)).toEqual(JSON.parse(text));
  });

  it.each([
    ['another event', '{"type":"response.output_audio_transcript.delta","event_id":"e","response_id":"r","item_id":"i","output_index":0,"content_index":0,"delta":"Hi"}'],
    ['whitespace', openAiDelta().replace(',"delta"', ', "delta"')],
    ['an escaped delta', openAiDelta(DELTA.replace('/', '\\/'))],
    ['a delta smuggling another field', openAiDelta('AAAA","item_id":"other')],
    ['a delta that is not base64', openAiDelta('AA A')],
    ['an unknown extra field', openAiDelta().replace('"output_index"', '"obfuscation":"x","output_index"')],
    ['trailing bytes', openAiDelta() + '\n'],
    ['a truncated message', openAiDelta().slice(0, -1)],
  ])('leaves %s to the full parse', (_case, text) => {
    expect(matchAudioDelta(text)).toBeUndefined();
  });

  it('never disagrees with the full parse (random mutations of a real delta)', () => {
    const alphabet = '"\\{}:,AZaz09+/=_- \u0001';
    const original = openAiDelta('AAAAAAAAAAAAAAAA');
    let accepted = 0;
    for (const text of mutationsOf(original, { count: 5000, seed: 11, alphabet })) {
      const fast = matchAudioDelta(text);
      if (fast === undefined) continue;
      accepted++;
      const full = JSON.parse(text);
      expect(fast).toEqual({ ...full, type: 'response.output_audio.delta' });
      expect(full.type).toBe('response.output_audio.delta');
    }
    expect(accepted).toBeGreaterThan(100);
  });
});
