import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { deprecatedModels } from '../test/support/openai-package-models';
import { DEPLOYMENT_ENVIRONMENTS } from './config-owner';
import { loadGatewayConfig } from './environment';

/** OpenAI's model pages list these previews as already shut down (the package does not mark them). */
const SHUT_DOWN_PREVIEWS = /^gpt-4o(-mini)?-realtime-preview/;

describe('the default models', () => {
  it('read the deprecations from the openai package (the check below is not empty)', () => {
    const deprecated = deprecatedModels();
    expect(deprecated.get('gpt-realtime')).toBe('2027-01-20');
    expect(deprecated.get('gpt-4o-mini-transcribe')).toBe('2027-02-26');
  });

  it.each(DEPLOYMENT_ENVIRONMENTS)('name no deprecated or shut-down model in %s', (environment) => {
    const config = loadGatewayConfig({ NODE_ENV: environment, OPENAI_API_KEY: 'sk-test-0123456789abcdefghij', TWILIO_VALIDATE_SIGNATURES: 'false', API_KEYS: 'k'.repeat(32), SINGLE_REPLICA: 'true', PUBLIC_URL: 'https://voice.example.com', GATEWAY_SIGNING_SECRET: 's'.repeat(32) });
    const deprecated = deprecatedModels();
    for (const model of [config.realtime.model, config.assistant.inputTranscriptionModel!]) {
      expect(deprecated.has(model), `${model} is deprecated (shutdown ${deprecated.get(model)})`).toBe(false);
      expect(model).not.toMatch(SHUT_DOWN_PREVIEWS);
    }
    expect(config.realtime.model).toBe('gpt-realtime-2.1');
    expect(config.assistant.inputTranscriptionModel).toBe('gpt-transcribe');
  });
});
