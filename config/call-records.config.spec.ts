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
  it("defaults to the embedded store, a 30 s checkpoint, no webhook and the built-in prices of each call's model", () => {
    const env = readEnvironment({});
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.DATA_DIR).toBe('data');
    expect(env.DATABASE_SCHEMA).toBe('public');
    expect(env.CALL_RECORD_CHECKPOINT_MS).toBe(30000);
    expect(env.CALL_RECORD_WEBHOOK_URL).toBeUndefined();
    expect(parseTokenPrices(env.TOKEN_PRICES_USD_PER_MILLION)).toBeUndefined();
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

  it('reads one price set for every Realtime model (the old form, cachedInput for both cached kinds), or sets by model', () => {
    expect(parseTokenPrices('{"outputAudio":80,"cachedInput":0.5}')).toEqual({ allRealtimeModels: { outputAudio: 80, cachedInputText: 0.5, cachedInputAudio: 0.5 } });
    expect(parseTokenPrices('{"my-deployment":{"inputAudio":30,"outputAudio":60},"gpt-transcribe":{"audioMinute":0.004}}')).toEqual({
      byModel: { 'my-deployment': { inputAudio: 30, outputAudio: 60 }, 'gpt-transcribe': { audioMinute: 0.004 } },
    });
    expect(() => parseTokenPrices('{"audio":1}')).toThrow(/unknown price "audio"/);
    expect(() => parseTokenPrices('{"m":{"audio":1}}')).toThrow(/unknown price "m"\."audio"/);
    expect(() => parseTokenPrices('{"inputText":1,"m":{"inputText":2}}')).toThrow(/not both/);
    expect(() => parseTokenPrices('[1]')).toThrow(/JSON object/);
    expect(() => parseTokenPrices('{')).toThrow(/not valid JSON/);
  });
});
