import { IsIn, IsInt, Max, Min } from 'class-validator';
import { DEPLOYMENT_ENVIRONMENTS, ToNumber } from './config-owner';
import type { ConfigOwner, DeploymentEnvironment } from './config-owner';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The HTTP server and its logs (apps/voice-gateway). */
export class ServerVariables {
  @IsIn(DEPLOYMENT_ENVIRONMENTS)
  NODE_ENV: DeploymentEnvironment;

  @ToNumber() @IsInt() @Min(0) @Max(65535)
  PORT: number;

  @IsIn(LOG_LEVELS)
  LOG_LEVEL: LogLevel;

  @IsIn(['json', 'pretty'])
  LOG_FORMAT: 'json' | 'pretty';
}

/** The application's own options. */
export interface ServerOptions {
  environment: DeploymentEnvironment;
  port: number;
  logLevel: LogLevel;
  /** Human-readable single-line logs instead of JSON. */
  prettyLogs: boolean;
}

export const serverConfig: ConfigOwner<ServerOptions> = {
  variables: ServerVariables,
  defaults: {
    all: { PORT: '5050' },
    local: { LOG_LEVEL: 'info', LOG_FORMAT: 'pretty' },
    development: { LOG_LEVEL: 'debug', LOG_FORMAT: 'json' },
    production: { LOG_LEVEL: 'info', LOG_FORMAT: 'json' },
    test: { LOG_LEVEL: 'silent', LOG_FORMAT: 'json' },
  },
  check(env) {
    // pino-pretty is a development dependency: the production image does not have it.
    if (env.NODE_ENV !== 'production' || env.LOG_FORMAT !== 'pretty') return [];
    return ['LOG_FORMAT: pretty is for a terminal (its formatter is a development dependency, not in the production image); use json in production'];
  },
  section: (env) => ({ environment: env.NODE_ENV, port: env.PORT, logLevel: env.LOG_LEVEL, prettyLogs: env.LOG_FORMAT === 'pretty' }),
};
