import { ConfigType, registerAs } from '@nestjs/config';
import { readEnvironment } from './environment';

export const consoleConfig = registerAs('console', () => {
  const env = readEnvironment();
  return {
    /** Serve /console, its live feed and the browser softphone. */
    enabled: env.CONSOLE_ENABLED === 'true',
    /** Console tokens are issued only to API-key holders whenever API_KEYS is set (always in production). */
    requireApiKey: Boolean(env.API_KEYS?.trim()),
    /** How long a console token may be used to open a socket (open sockets stay open). */
    tokenTtlMs: 60_000,
  };
});
export type ConsoleConfig = ConfigType<typeof consoleConfig>;
