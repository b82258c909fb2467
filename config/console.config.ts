import type { ConsoleModuleOptions } from '@app/console';
import { IsIn } from 'class-validator';
import { createHmac } from 'node:crypto';
import type { ConfigOwner } from './config-owner';

/** The live web console and browser softphone at /console (libs/console). */
export class ConsoleVariables {
  @IsIn(['true', 'false'])
  CONSOLE_ENABLED: 'true' | 'false';
}

export const consoleConfig: ConfigOwner<ConsoleModuleOptions> = {
  variables: ConsoleVariables,
  defaults: {
    local: { CONSOLE_ENABLED: 'true' },
    development: { CONSOLE_ENABLED: 'true' },
    production: { CONSOLE_ENABLED: 'false' },
    test: { CONSOLE_ENABLED: 'true' },
  },
  section: (env) => ({
    enabled: env.CONSOLE_ENABLED === 'true',
    // Console tokens are issued only to API-key holders whenever API keys are set, and whenever Twilio
    // signatures are checked (the gateway is reachable by Twilio, so by anyone): a token opens a
    // media stream without a Twilio signature and shows live transcripts.
    requireApiKey: Boolean(env.API_KEYS?.trim()) || (Boolean(env.TWILIO_AUTH_TOKEN) && env.TWILIO_VALIDATE_SIGNATURES !== 'false'),
    // Every instance derives the same key from the shared Twilio secret, so a token from one is valid on all.
    tokenKey: env.TWILIO_AUTH_TOKEN ? createHmac('sha256', env.TWILIO_AUTH_TOKEN).update('voice-gateway console tokens').digest() : undefined,
  }),
};
