import { ConfigType, registerAs } from '@nestjs/config';
import { readEnvironment } from './environment';

export const appConfig = registerAs('app', () => {
  const env = readEnvironment();
  return {
    environment: env.NODE_ENV,
    port: env.PORT,
    /** Public base URL Twilio reaches us at (no trailing slash), or undefined to derive it from request headers. */
    publicUrl: env.PUBLIC_URL,
  };
});
export type AppConfig = ConfigType<typeof appConfig>;
