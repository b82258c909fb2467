import { parseApiKey } from '@app/auth';
import type { ApiKeyDefinition, AuthModuleOptions } from '@app/auth';
import { IsInt, IsOptional, IsString, Matches, Max, Min, MinLength, ValidateIf } from 'class-validator';
import { commaSeparated, EmptyMeansUnset, ToNumber } from './config-owner';
import type { ConfigOwner } from './config-owner';
import type { EnvironmentVariables } from './environment';

/** The gateway's own HTTP API keys, its rate limits, and the secret everything it signs derives from (libs/auth). */
export class AuthVariables {
  /** Comma-separated API keys for the gateway's own HTTP API (bearer tokens), each optionally `key:scope+scope`. */
  // In production an enabled console must be protected by the API key.
  @EmptyMeansUnset()
  @ValidateIf((env: EnvironmentVariables) => env.API_KEYS !== undefined || (env.NODE_ENV === 'production' && env.CONSOLE_ENABLED === 'true'))
  @IsString({ message: 'API_KEYS is required in production when CONSOLE_ENABLED=true' })
  @Matches(/^\s*[^,\s]{16,}\s*(,\s*[^,\s]{16,}\s*)*$/, { message: 'API_KEYS must be a comma-separated list of keys of 16+ characters' })
  API_KEYS?: string;

  /** The one secret stream tokens, call contexts and console tokens are signed with (keys per purpose are derived from it). */
  @EmptyMeansUnset() @IsOptional() @IsString() @MinLength(32, { message: 'GATEWAY_SIGNING_SECRET must be at least 32 characters' })
  GATEWAY_SIGNING_SECRET?: string;

  /** Requests per minute each API key may make to the gateway's API. */
  @ToNumber() @IsInt() @Min(1) @Max(1_000_000)
  API_RATE_LIMIT_PER_MINUTE: number;
}

/** The auth section: the library's options plus what the application itself derives from them. */
export interface AuthSection extends AuthModuleOptions {
  apiKeys: ApiKeyDefinition[];
  /** How many of the keys have every scope (written without `:scope`): warned about at start-up. */
  unscopedKeys: number;
  /** GATEWAY_SIGNING_SECRET, else TWILIO_AUTH_TOKEN; undefined only in `local` (a random per-process key is used). */
  signingSecret?: string;
  /** Requests per minute per API key (every guarded API route). */
  rateLimitPerMinute: number;
}

export const authConfig: ConfigOwner<AuthSection> = {
  variables: AuthVariables,
  defaults: { all: { API_RATE_LIMIT_PER_MINUTE: '300' } },
  check(env, isValid) {
    const problems: string[] = [];
    if (isValid('API_KEYS')) {
      for (const [index, entry] of commaSeparated(env.API_KEYS).entries()) {
        if (parseApiKey(entry).key.length < 16) problems.push(`API_KEYS: entry ${index + 1} has a key shorter than 16 characters before its scopes`);
      }
    }
    if (env.NODE_ENV !== 'local' && !env.GATEWAY_SIGNING_SECRET && !env.TWILIO_AUTH_TOKEN && isValid('GATEWAY_SIGNING_SECRET')) {
      problems.push(
        'GATEWAY_SIGNING_SECRET: is required outside local when TWILIO_AUTH_TOKEN is not set (it signs stream tokens, call contexts and ' +
          'console tokens, and every pod must share it)',
      );
    }
    return problems;
  },
  section: (env) => {
    const keys = commaSeparated(env.API_KEYS).map(parseApiKey);
    return {
      apiKeys: keys.map(({ key, scopes }) => ({ key, scopes })),
      unscopedKeys: keys.filter((key) => !key.scoped).length,
      signingSecret: env.GATEWAY_SIGNING_SECRET ?? env.TWILIO_AUTH_TOKEN,
      rateLimitPerMinute: env.API_RATE_LIMIT_PER_MINUTE,
    };
  },
};
