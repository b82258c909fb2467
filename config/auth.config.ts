import type { AuthModuleOptions } from '@app/auth';
import { IsString, Matches, ValidateIf } from 'class-validator';
import { commaSeparated, EmptyMeansUnset } from './config-owner';
import type { ConfigOwner } from './config-owner';
import type { EnvironmentVariables } from './environment';

/** The gateway's own HTTP API keys (libs/auth). */
export class AuthVariables {
  /** Comma-separated API keys for the gateway's own HTTP API (bearer tokens). */
  // In production an enabled console must be protected by the API key.
  @EmptyMeansUnset()
  @ValidateIf((env: EnvironmentVariables) => env.API_KEYS !== undefined || (env.NODE_ENV === 'production' && env.CONSOLE_ENABLED === 'true'))
  @IsString({ message: 'API_KEYS is required in production when CONSOLE_ENABLED=true' })
  @Matches(/^\s*[^,\s]{16,}\s*(,\s*[^,\s]{16,}\s*)*$/, { message: 'API_KEYS must be a comma-separated list of keys of 16+ characters' })
  API_KEYS?: string;
}

export const authConfig: ConfigOwner<AuthModuleOptions> = {
  variables: AuthVariables,
  defaults: {},
  section: (env) => ({ apiKeys: commaSeparated(env.API_KEYS) }),
};
