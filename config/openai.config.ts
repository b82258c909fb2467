import { ConfigType, registerAs } from '@nestjs/config';
import { readEnvironment } from './environment';

export const openAiConfig = registerAs('openai', () => {
  const env = readEnvironment();
  return {
    apiKey: env.OPENAI_API_KEY,
    realtimeUrl: env.OPENAI_REALTIME_URL,
    model: env.OPENAI_REALTIME_MODEL,
    /** In `local` without a key the gateway talks to its embedded Realtime simulator. */
    useEmbeddedSimulator: env.NODE_ENV === 'local' && !env.OPENAI_API_KEY,
  };
});
export type OpenAiConfig = ConfigType<typeof openAiConfig>;
