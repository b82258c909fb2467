import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { InvalidEnvironmentError, loadGatewayConfig, readEnvironment } from './environment';
import { parseTokenPrices } from './token-prices';

function problemsOf(source: NodeJS.ProcessEnv): string[] {
  try {
    loadGatewayConfig(source);
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

  it('sends Standard Webhooks of call.ended by default, with no analysis', () => {
    const { callRecords } = loadGatewayConfig({ CALL_RECORD_WEBHOOK_URL: 'https://hooks.example.com/calls', CALL_RECORD_WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' });
    expect(callRecords).toMatchObject({ webhookScheme: 'standard', webhookEvents: ['call.ended'], webhookPreviousSecrets: [] });
    expect(callRecords.analysis).toBeUndefined();
  });

  it('selects events by a comma list or *, and refuses an unknown event name, naming the known ones', () => {
    expect(loadGatewayConfig({ WEBHOOK_EVENTS: 'call.started, tool.called' }).callRecords.webhookEvents).toEqual(['call.started', 'tool.called']);
    expect(loadGatewayConfig({ WEBHOOK_EVENTS: '*' }).callRecords.webhookEvents).toEqual(['call.started', 'tool.called', 'call.transferred', 'call.ended', 'call.analyzed']);
    const [problem, ...others] = problemsOf({ WEBHOOK_EVENTS: 'call.ended,call.finished' });
    expect(others).toEqual([]);
    expect(problem).toBe('WEBHOOK_EVENTS: unknown event "call.finished" (known: call.started, tool.called, call.transferred, call.ended, call.analyzed, or *)');
  });

  it('keeps the legacy scheme to call.ended, and checks whsec_ secrets and previous secrets', () => {
    expect(problemsOf({ WEBHOOK_SIGNATURE_SCHEME: 'legacy', WEBHOOK_EVENTS: 'call.ended,call.started' })).toEqual([expect.stringMatching(/^WEBHOOK_EVENTS: the legacy scheme .* sends call\.ended only/)]);
    expect(problemsOf({ WEBHOOK_SIGNATURE_SCHEME: 'v2' })).toEqual(['WEBHOOK_SIGNATURE_SCHEME: WEBHOOK_SIGNATURE_SCHEME must be standard or legacy']);
    const problems = problemsOf({
      CALL_RECORD_WEBHOOK_URL: 'https://hooks.example.com/calls',
      CALL_RECORD_WEBHOOK_SECRET: 'whsec_not*base64*at*all!!',
      WEBHOOK_SECRETS_PREVIOUS: 'whsec_c2hvcnQ=',
    });
    expect(problems).toEqual([
      'CALL_RECORD_WEBHOOK_SECRET: a whsec_ webhook secret must be base64 after the prefix',
      'WEBHOOK_SECRETS_PREVIOUS: a webhook secret must be 16+ bytes (a whsec_ secret: 16+ bytes once decoded)',
    ]);
    expect(problems.join('\n')).not.toContain('c2hvcnQ');
  });

  it('turns the analysis on with a key, with the profiles\' settings, and validates their schemas', () => {
    expect(problemsOf({ POST_CALL_ANALYSIS: 'on' })).toEqual(['POST_CALL_ANALYSIS: on needs OPENAI_API_KEY (the analysis calls the OpenAI Responses API)']);
    const schema = { type: 'object', properties: { reason: { type: 'string' } } };
    const { callRecords } = loadGatewayConfig({
      POST_CALL_ANALYSIS: 'on',
      OPENAI_API_KEY: 'sk-test-0123456789abcdefghijklmnop',
      ASSISTANT_PROFILES: JSON.stringify({ support: { analysis: { schema, instructions: 'Success: the caller booked.' } }, quiet: { analysis: { enabled: false } } }),
    });
    expect(callRecords.analysis).toEqual({
      model: 'gpt-5.4-mini',
      apiBaseUrl: 'https://api.openai.com/v1',
      apiKey: 'sk-test-0123456789abcdefghijklmnop',
      auth: 'bearer',
      timeoutMs: 20000,
      profiles: { support: { schema, instructions: 'Success: the caller booked.' }, quiet: { enabled: false } },
    });
    const problems = problemsOf({ ASSISTANT_PROFILES: JSON.stringify({ a: { analysis: { schema: { type: 'string' } } }, b: { analysis: { schema: { type: 'object', properties: { x: { type: 'nope' } } } } }, c: { analysis: { enabled: 'yes' } } }) });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('a.analysis.schema: must be a JSON schema of an object');
    expect(problems[0]).toContain('b.analysis.schema: is not a valid JSON schema');
    expect(problems[0]).toContain('c.analysis.enabled');
  });
});
