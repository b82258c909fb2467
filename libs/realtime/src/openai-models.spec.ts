import { describe, expect, it } from 'vitest';
import { apiBaseFromRealtimeUrl, isAzureOpenAIUrl } from './openai-models';

describe('OpenAI endpoints', () => {
  it('recognises Azure OpenAI hosts by name', () => {
    expect(isAzureOpenAIUrl('wss://contoso.openai.azure.com/openai/v1/realtime')).toBe(true);
    expect(isAzureOpenAIUrl('wss://contoso.cognitiveservices.azure.com/openai/v1/realtime')).toBe(true);
    expect(isAzureOpenAIUrl('wss://api.openai.com/v1/realtime')).toBe(false);
    expect(isAzureOpenAIUrl('wss://openai.azure.com.evil.example/v1/realtime')).toBe(false);
    expect(isAzureOpenAIUrl('not a url')).toBe(false);
  });

  it('finds the REST API base next to the Realtime socket', () => {
    expect(apiBaseFromRealtimeUrl('wss://api.openai.com/v1/realtime')).toBe('https://api.openai.com/v1');
    expect(apiBaseFromRealtimeUrl('wss://contoso.openai.azure.com/openai/v1/realtime?model=x')).toBe('https://contoso.openai.azure.com/openai/v1');
    expect(apiBaseFromRealtimeUrl('ws://127.0.0.1:4010/v1/realtime/')).toBe('http://127.0.0.1:4010/v1');
  });
});
