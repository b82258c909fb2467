import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { DEPLOYMENT_ENVIRONMENTS, EmptyMeansUnset, ToNumber } from './config-owner';
import type { ConfigOwner, DeploymentEnvironment } from './config-owner';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The HTTP server and its logs (apps/voice-gateway). */
export class ServerVariables {
  @IsIn(DEPLOYMENT_ENVIRONMENTS)
  NODE_ENV: DeploymentEnvironment;

  @ToNumber() @IsInt() @Min(0) @Max(65535)
  PORT: number;

  /** Interface to listen on; unset: every interface (`local` defaults to 127.0.0.1). */
  @EmptyMeansUnset() @IsOptional() @IsString() @Matches(/^[A-Za-z0-9.:%-]{1,255}$/, { message: 'HOST must be an IP address or a host name' })
  HOST?: string;

  /** How long a client may take to send a request's headers before the connection is closed. */
  @ToNumber() @IsInt() @Min(1000) @Max(600_000)
  HTTP_HEADERS_TIMEOUT_MS: number;

  /** How long a client may take to send a whole request. */
  @ToNumber() @IsInt() @Min(1000) @Max(3_600_000)
  HTTP_REQUEST_TIMEOUT_MS: number;

  /** Connections (HTTP and WebSocket, including live calls) the server accepts at once; beyond it new ones are dropped. */
  @ToNumber() @IsInt() @Min(10) @Max(1_000_000)
  HTTP_MAX_CONNECTIONS: number;

  @IsIn(LOG_LEVELS)
  LOG_LEVEL: LogLevel;

  @IsIn(['json', 'pretty'])
  LOG_FORMAT: 'json' | 'pretty';

  /** `true` writes callers' phone numbers to the logs in full; by default they are masked. */
  @IsIn(['true', 'false'])
  LOG_CALLER_NUMBERS: 'true' | 'false';
}

/** The application's own options. */
export interface ServerOptions {
  environment: DeploymentEnvironment;
  port: number;
  /** Undefined: every interface. */
  host?: string;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  maxConnections: number;
  logLevel: LogLevel;
  /** Human-readable single-line logs instead of JSON. */
  prettyLogs: boolean;
  /** Phone numbers in logs in full (otherwise masked). */
  logCallerNumbers: boolean;
}

export const serverConfig: ConfigOwner<ServerOptions> = {
  variables: ServerVariables,
  defaults: {
    all: { PORT: '5050', HTTP_HEADERS_TIMEOUT_MS: '10000', HTTP_REQUEST_TIMEOUT_MS: '30000', HTTP_MAX_CONNECTIONS: '4096', LOG_CALLER_NUMBERS: 'false' },
    // A laptop: reachable from this machine only, unless HOST says otherwise.
    local: { LOG_LEVEL: 'info', LOG_FORMAT: 'pretty', HOST: '127.0.0.1' },
    development: { LOG_LEVEL: 'debug', LOG_FORMAT: 'json' },
    production: { LOG_LEVEL: 'info', LOG_FORMAT: 'json' },
    test: { LOG_LEVEL: 'silent', LOG_FORMAT: 'json' },
  },
  check(env) {
    const problems: string[] = [];
    // pino-pretty is a development dependency: the production image does not have it.
    if (env.NODE_ENV === 'production' && env.LOG_FORMAT === 'pretty') {
      problems.push('LOG_FORMAT: pretty is for a terminal (its formatter is a development dependency, not in the production image); use json in production');
    }
    if (env.HTTP_REQUEST_TIMEOUT_MS < env.HTTP_HEADERS_TIMEOUT_MS) {
      problems.push('HTTP_REQUEST_TIMEOUT_MS: must not be shorter than HTTP_HEADERS_TIMEOUT_MS (a request cannot end before its headers)');
    }
    return problems;
  },
  section: (env) => ({
    environment: env.NODE_ENV,
    port: env.PORT,
    host: env.HOST,
    headersTimeoutMs: env.HTTP_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: env.HTTP_REQUEST_TIMEOUT_MS,
    maxConnections: env.HTTP_MAX_CONNECTIONS,
    logLevel: env.LOG_LEVEL,
    prettyLogs: env.LOG_FORMAT === 'pretty',
    logCallerNumbers: env.LOG_CALLER_NUMBERS === 'true',
  }),
};
