import { ConfigType, registerAs } from '@nestjs/config';
import { readEnvironment } from './environment';

/** Limits on hostile input and how calls survive OpenAI failures. */
export const resilienceConfig = registerAs('resilience', () => {
  const env = readEnvironment();
  return {
    mediaStreamStartTimeoutMs: env.MEDIA_STREAM_START_TIMEOUT_MS,
    openAiConnectTimeoutMs: env.OPENAI_CONNECT_TIMEOUT_MS,
    openAiConnectAttempts: env.OPENAI_CONNECT_ATTEMPTS,
    openAiMaxReconnectsPerCall: env.OPENAI_MAX_RECONNECTS_PER_CALL,
    /** What the caller hears when OpenAI cannot be recovered. */
    fallback: { message: env.FALLBACK_MESSAGE, phoneNumber: env.FALLBACK_PHONE_NUMBER },
  };
});

export type ResilienceConfig = ConfigType<typeof resilienceConfig>;
