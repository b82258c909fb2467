import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { InvalidEnvironmentError, loadGatewayConfig } from './environment';

const KEY = 'sk-test-0123456789abcdefghij';

function problemsOf(source: NodeJS.ProcessEnv): string[] {
  try {
    loadGatewayConfig(source);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidEnvironmentError);
    return (error as InvalidEnvironmentError).problems;
  }
  throw new Error('expected loadGatewayConfig to throw');
}

describe('realtime configuration', () => {
  it('sends the key as Authorization: Bearer to OpenAI and as api-key to Azure OpenAI hosts, unless told otherwise', () => {
    expect(loadGatewayConfig({}).realtime.auth).toBe('bearer');
    const azure = { OPENAI_REALTIME_URL: 'wss://contoso.openai.azure.com/openai/v1/realtime', OPENAI_REALTIME_MODEL: 'contoso-realtime' };
    expect(loadGatewayConfig(azure).realtime.auth).toBe('api-key');
    expect(loadGatewayConfig({ ...azure, OPENAI_AUTH_SCHEME: 'bearer' }).realtime.auth).toBe('bearer');
    expect(loadGatewayConfig({ OPENAI_AUTH_SCHEME: 'api-key' }).realtime.auth).toBe('api-key');
  });

  it('looks the models up outside local only, at the API base next to the Realtime URL (or the one given)', () => {
    // Outside local a signing secret is required (here: no Twilio auth token to fall back on).
    const development = { NODE_ENV: 'development', GATEWAY_SIGNING_SECRET: 's'.repeat(32) };
    expect(loadGatewayConfig({}).realtime.modelCheck).toBeUndefined();
    expect(loadGatewayConfig({ OPENAI_API_KEY: KEY }).realtime.modelCheck).toBeUndefined();
    expect(loadGatewayConfig({ ...development, OPENAI_API_KEY: KEY }).realtime.modelCheck).toEqual({
      apiBaseUrl: 'https://api.openai.com/v1',
      timeoutMs: 3000,
      models: ['gpt-realtime-2.1'],
      azure: false,
    });
    const azure = loadGatewayConfig({
      ...development,
      OPENAI_API_KEY: KEY,
      OPENAI_REALTIME_URL: 'wss://contoso.openai.azure.com/openai/v1/realtime',
      OPENAI_API_BASE_URL: 'https://contoso.openai.azure.com/openai/v1',
    }).realtime.modelCheck;
    expect(azure).toMatchObject({ apiBaseUrl: 'https://contoso.openai.azure.com/openai/v1', azure: true });
    expect(loadGatewayConfig({ ...development, OPENAI_API_KEY: KEY, OPENAI_MODEL_CHECK_TIMEOUT_MS: '0' }).realtime.modelCheck).toBeUndefined();
  });

  it('names every bad realtime setting', () => {
    const problems = problemsOf({ OPENAI_AUTH_SCHEME: 'basic', OPENAI_REALTIME_MODEL: 'gpt realtime', OPENAI_API_BASE_URL: 'ftp://x', OPENAI_MODEL_CHECK_TIMEOUT_MS: '-1' });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['OPENAI_API_BASE_URL', 'OPENAI_AUTH_SCHEME', 'OPENAI_MODEL_CHECK_TIMEOUT_MS', 'OPENAI_REALTIME_MODEL']);
  });
});

describe('assistant configuration', () => {
  it('defaults to server VAD, near-field noise reduction, low reasoning effort and gpt-transcribe', () => {
    const { assistant } = loadGatewayConfig({});
    expect(assistant.turnDetection).toEqual({ type: 'server_vad', threshold: 0.5, prefixPaddingMs: 300, silenceDurationMs: 500, eagerness: 'auto' });
    expect(assistant.noiseReduction).toBe('near_field');
    expect(assistant.reasoningEffort).toBe('low');
    expect(assistant.inputTranscriptionModel).toBe('gpt-transcribe');
    expect(assistant.transcriptionLanguages).toEqual([]);
  });

  it('reads the turn-taking settings, "off" and empty values included', () => {
    const { assistant } = loadGatewayConfig({
      TURN_DETECTION: 'semantic_vad',
      VAD_EAGERNESS: 'high',
      INPUT_NOISE_REDUCTION: 'off',
      REASONING_EFFORT: '',
      INPUT_TRANSCRIPTION_LANGUAGES: 'en, es',
      INPUT_TRANSCRIPTION_MODEL: '',
    });
    expect(assistant.turnDetection).toMatchObject({ type: 'semantic_vad', eagerness: 'high' });
    expect(assistant.noiseReduction).toBeUndefined();
    expect(assistant.reasoningEffort).toBeUndefined();
    expect(assistant.transcriptionLanguages).toEqual(['en', 'es']);
    expect(assistant.inputTranscriptionModel).toBeUndefined();
  });

  it('names every bad turn-taking setting in one error, including language hints the transcription model cannot take', () => {
    const problems = problemsOf({
      TURN_DETECTION: 'push_to_talk',
      VAD_EAGERNESS: 'eager',
      INPUT_NOISE_REDUCTION: 'loud',
      REASONING_EFFORT: 'max',
      INPUT_TRANSCRIPTION_LANGUAGES: 'English',
    });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['INPUT_NOISE_REDUCTION', 'INPUT_TRANSCRIPTION_LANGUAGES', 'REASONING_EFFORT', 'TURN_DETECTION', 'VAD_EAGERNESS']);
    expect(problemsOf({ INPUT_TRANSCRIPTION_MODEL: 'whisper-1', INPUT_TRANSCRIPTION_LANGUAGES: 'en,es' })).toEqual([
      'INPUT_TRANSCRIPTION_LANGUAGES: whisper-1 takes one language hint; several (en, es) need gpt-transcribe or gpt-live-transcribe',
    ]);
  });

  it("validates a profile's model, reasoning effort, turn detection, noise reduction and language hints", () => {
    const profiles = JSON.stringify({
      mini: { model: 'gpt-realtime-2.1-mini', reasoningEffort: 'minimal', turnDetection: { type: 'semantic_vad', eagerness: 'low' }, noiseReduction: 'far_field', transcriptionLanguages: ['es'] },
    });
    expect(loadGatewayConfig({ ASSISTANT_PROFILES: profiles }).assistant.profiles.mini).toMatchObject({
      model: 'gpt-realtime-2.1-mini',
      reasoningEffort: 'minimal',
      turnDetection: { type: 'semantic_vad', eagerness: 'low' },
      noiseReduction: 'far_field',
      transcriptionLanguages: ['es'],
    });
    const bad = JSON.stringify({
      broken: { model: 'gpt realtime', reasoningEffort: 'max', turnDetection: { type: 'vad', eagerness: 'eager' }, noiseReduction: 'loud', transcriptionLanguages: ['Spanish'] },
      several: { transcriptionLanguages: ['en', 'es'] },
    });
    const [problem] = problemsOf({ ASSISTANT_PROFILES: bad, INPUT_TRANSCRIPTION_MODEL: 'gpt-4o-mini-transcribe' });
    for (const field of ['broken.model', 'broken.reasoningEffort', 'broken.turnDetection.type', 'broken.turnDetection.eagerness', 'broken.noiseReduction', 'broken.transcriptionLanguages', 'several.transcriptionLanguages: gpt-4o-mini-transcribe takes one language hint']) {
      expect(problem).toContain(field);
    }
  });
});
