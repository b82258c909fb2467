import { ConfigType, registerAs } from '@nestjs/config';
import { readEnvironment } from './environment';

export const assistantConfig = registerAs('assistant', () => {
  const env = readEnvironment();
  return {
    voice: env.OPENAI_VOICE,
    instructions: env.ASSISTANT_INSTRUCTIONS,
    greeting: env.ASSISTANT_GREETING,
    twimlWelcomeMessage: env.TWIML_WELCOME_MESSAGE,
    turnDetection: {
      threshold: env.VAD_THRESHOLD,
      prefixPaddingMs: env.VAD_PREFIX_PADDING_MS,
      silenceDurationMs: env.VAD_SILENCE_DURATION_MS,
    },
    inputTranscriptionModel: env.INPUT_TRANSCRIPTION_MODEL || undefined,
    preReadyBufferMs: env.PRE_READY_BUFFER_MS,
  };
});
export type AssistantConfig = ConfigType<typeof assistantConfig>;
