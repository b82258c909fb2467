import { ConfigType, registerAs } from '@nestjs/config';
import { readEnvironment } from './environment';

export const appConfig = registerAs('app', () => {
  const env = readEnvironment();
  return {
    environment: env.NODE_ENV,
    port: env.PORT,
    /** Public base URL Twilio reaches us at (no trailing slash), or undefined to derive it from request headers. */
    publicUrl: env.PUBLIC_URL,
    /** Bearer tokens accepted by the gateway's own HTTP API. */
    apiKeys: (env.API_KEYS ?? '').split(',').map((key) => key.trim()).filter(Boolean),
  };
});
export type AppConfig = ConfigType<typeof appConfig>;
