import type { ConsoleModuleOptions } from '@app/console';
import { IsIn, IsOptional, Matches } from 'class-validator';
import { commaSeparated, EmptyMeansUnset } from './config-owner';
import type { ConfigOwner } from './config-owner';
import { validatesSignatures } from './telephony.config';

/** The live web console and browser softphone at /console (libs/console). */
export class ConsoleVariables {
  @IsIn(['true', 'false'])
  CONSOLE_ENABLED: 'true' | 'false';

  /** Further page origins (scheme://host[:port]) allowed to open the console's sockets, beyond PUBLIC_URL's and the page's own. */
  @EmptyMeansUnset()
  @IsOptional()
  @Matches(/^\s*https?:\/\/[^\s,/]+\s*(,\s*https?:\/\/[^\s,/]+\s*)*$/, { message: 'CONSOLE_ALLOWED_ORIGINS must be comma-separated origins such as https://ops.example.com' })
  CONSOLE_ALLOWED_ORIGINS?: string;
}

/** The console section: ConsoleModule's options but its token key, which the application derives. */
export type ConsoleSection = Omit<ConsoleModuleOptions, 'tokenKey'>;

export const consoleConfig: ConfigOwner<ConsoleSection> = {
  variables: ConsoleVariables,
  defaults: {
    local: { CONSOLE_ENABLED: 'true' },
    development: { CONSOLE_ENABLED: 'true' },
    production: { CONSOLE_ENABLED: 'false' },
    test: { CONSOLE_ENABLED: 'true' },
  },
  section: (env) => ({
    enabled: env.CONSOLE_ENABLED === 'true',
    // A console token shows live transcripts and opens softphone calls on the OpenAI key, so it needs
    // an API key whenever one is set, whenever the key is real (not the embedded simulator), and
    // whenever Twilio signatures are checked (the gateway is reachable by Twilio, so by anyone).
    requireApiKey: Boolean(env.API_KEYS?.trim()) || Boolean(env.OPENAI_API_KEY) || validatesSignatures(env),
    allowedOrigins: [...(env.PUBLIC_URL ? [new URL(env.PUBLIC_URL).origin] : []), ...commaSeparated(env.CONSOLE_ALLOWED_ORIGINS).map((o) => o.replace(/\/+$/, ''))],
  }),
};
