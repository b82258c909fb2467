import { describe, expect, it } from 'vitest';
import { parseCallArguments } from './call-options';

describe('npm run call options', () => {
  it('reads every option, falling back to the environment for secrets and the URL', () => {
    const options = parseCallArguments(
      ['--url', 'https://voice.example.com', '--turns=2', '--barge-in-at', '1500', '--dtmf', '1@2000,#@2500', '--record', 'out.wav'],
      { TWILIO_AUTH_TOKEN: 'tok', API_KEYS: 'key-one-0123456789, key-two' },
    );
    expect(options).toMatchObject({
      gatewayUrl: 'https://voice.example.com',
      turns: 2,
      bargeInAtMs: 1500,
      dtmf: [{ digit: '1', atMs: 2000 }, { digit: '#', atMs: 2500 }],
      record: 'out.wav',
      authToken: 'tok',
      apiKey: 'key-one-0123456789',
    });
    expect((options as { utterance: Buffer }).utterance.length).toBeGreaterThan(8000);
  });

  it('refuses unknown options and malformed values with a clear message', () => {
    expect(() => parseCallArguments(['--bogus', '1'], {})).toThrow('unknown option --bogus');
    expect(() => parseCallArguments(['--turns', 'zero'], {})).toThrow('--turns must be a number >= 1');
    expect(() => parseCallArguments(['--dtmf', '5-100'], {})).toThrow(/digit@ms/);
    expect(() => parseCallArguments(['--wav'], {})).toThrow('--wav needs a value');
    expect(parseCallArguments(['--help'], {})).toBe('help');
  });
});
