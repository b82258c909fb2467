import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { InvalidEnvironmentError, readEnvironment } from './environment';
import { parseTokenPrices } from './token-prices';

function problemsOf(source: NodeJS.ProcessEnv): string[] {
  try {
    readEnvironment(source);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidEnvironmentError);
    return (error as InvalidEnvironmentError).problems;
  }
  throw new Error('expected readEnvironment to throw');
}

describe('call-record configuration', () => {
  it('defaults to the embedded store, a 30 s checkpoint, no webhook and gpt-realtime prices', () => {
    const env = readEnvironment({});
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.DATA_DIR).toBe('data');
    expect(env.DATABASE_SCHEMA).toBe('public');
    expect(env.CALL_RECORD_CHECKPOINT_MS).toBe(30000);
    expect(env.CALL_RECORD_WEBHOOK_URL).toBeUndefined();
    expect(parseTokenPrices(env.TOKEN_PRICES_USD_PER_MILLION)).toEqual({ inputText: 4, inputAudio: 32, cachedInput: 0.4, outputText: 16, outputAudio: 64 });
  });

  it('treats empty DATABASE_URL and webhook variables as unset', () => {
    const env = readEnvironment({ DATABASE_URL: '', CALL_RECORD_WEBHOOK_URL: '', CALL_RECORD_WEBHOOK_SECRET: '' });
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.CALL_RECORD_WEBHOOK_URL).toBeUndefined();
  });

  it('names every bad call-record variable, and never echoes the webhook secret', () => {
    const problems = problemsOf({
      DATABASE_URL: 'mysql://db/x',
      DATABASE_SCHEMA: 'Robert"); DROP',
      CALL_RECORD_WEBHOOK_URL: 'https://hooks.example.com/calls',
      CALL_RECORD_WEBHOOK_SECRET: 'short-secret',
      TOKEN_PRICES_USD_PER_MILLION: '{"inputAudio":-1}',
    });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual([
      'CALL_RECORD_WEBHOOK_SECRET',
      'DATABASE_SCHEMA',
      'DATABASE_URL',
      'TOKEN_PRICES_USD_PER_MILLION',
    ]);
    expect(problems.join('\n')).not.toContain('short-secret');
  });

  it('requires a webhook secret with a webhook URL', () => {
    expect(problemsOf({ CALL_RECORD_WEBHOOK_URL: 'https://hooks.example.com/calls' }).map((p) => p.split(':')[0])).toEqual(['CALL_RECORD_WEBHOOK_SECRET']);
  });

  it('parses a partial price table and rejects unknown kinds and non-objects', () => {
    expect(parseTokenPrices('{"outputAudio":80}')).toEqual({ inputText: 0, inputAudio: 0, cachedInput: 0, outputText: 0, outputAudio: 80 });
    expect(() => parseTokenPrices('{"audio":1}')).toThrow(/unknown price "audio"/);
    expect(() => parseTokenPrices('[1]')).toThrow(/JSON object/);
    expect(() => parseTokenPrices('{')).toThrow(/not valid JSON/);
  });
});
