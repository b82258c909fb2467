import { ConfigType, registerAs } from '@nestjs/config';
import { readEnvironment } from './environment';

export const consoleConfig = registerAs('console', () => {
  const env = readEnvironment();
  return {
    /** Serve /console, its live feed and the browser softphone. */
    enabled: env.CONSOLE_ENABLED === 'true',
    /**
     * Console tokens are issued only to API-key holders whenever API_KEYS is set, and whenever Twilio
     * signatures are checked (the gateway is reachable by Twilio, so by anyone): a token opens a
     * media stream without a Twilio signature and shows live transcripts.
     */
    requireApiKey: Boolean(env.API_KEYS?.trim()) || (Boolean(env.TWILIO_AUTH_TOKEN) && env.TWILIO_VALIDATE_SIGNATURES !== 'false'),
    /** How long a console token may be used to open a socket (open sockets stay open). */
    tokenTtlMs: 60_000,
  };
});
export type ConsoleConfig = ConfigType<typeof consoleConfig>;
