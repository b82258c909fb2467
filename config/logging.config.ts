import { ConfigType, registerAs } from '@nestjs/config';
import { readEnvironment } from './environment';

export const loggingConfig = registerAs('logging', () => {
  const env = readEnvironment();
  return { level: env.LOG_LEVEL, pretty: env.LOG_FORMAT === 'pretty' };
});
export type LoggingConfig = ConfigType<typeof loggingConfig>;
