import type { OpenAIRealtimeModuleOptions } from '@app/realtime';
import { IsInt, IsString, IsUrl, Max, Min, MinLength, ValidateIf } from 'class-validator';
import { EmptyMeansUnset, ToNumber } from './config-owner';
import type { ConfigOwner } from './config-owner';
import type { EnvironmentVariables } from './environment';

/** The OpenAI Realtime sessions of calls and how they survive OpenAI failures (libs/realtime). */
export class RealtimeVariables {
  // Only `local` has the embedded simulator to fall back on.
  @EmptyMeansUnset()
  @ValidateIf((env: EnvironmentVariables) => env.NODE_ENV !== 'local' || env.OPENAI_API_KEY !== undefined)
  @IsString()
  @MinLength(20, { message: 'OPENAI_API_KEY is required outside local (which alone runs the embedded simulator) and must be a real key (20+ characters)' })
  OPENAI_API_KEY?: string;

  @IsUrl({ protocols: ['wss', 'ws'], require_tld: false, require_protocol: true })
  OPENAI_REALTIME_URL: string;

  @IsString() @MinLength(1)
  OPENAI_REALTIME_MODEL: string;

  /** Time from opening an OpenAI socket to the session being configured before the attempt is abandoned. */
  @ToNumber() @IsInt() @Min(100) @Max(60000)
  OPENAI_CONNECT_TIMEOUT_MS: number;

  /** Tries per connect or reconnect of a call's OpenAI session before giving up. */
  @ToNumber() @IsInt() @Min(1) @Max(10)
  OPENAI_CONNECT_ATTEMPTS: number;

  /** Reconnects (drops, expiries) one call may go through before it falls back. */
  @ToNumber() @IsInt() @Min(0) @Max(100)
  OPENAI_MAX_RECONNECTS_PER_CALL: number;

  /** Size of the pre-ready buffer: caller audio kept while the OpenAI session is not ready (first connect, reconnects). */
  @ToNumber() @IsInt() @Min(0) @Max(60000)
  PRE_READY_BUFFER_MS: number;
}

export const realtimeConfig: ConfigOwner<OpenAIRealtimeModuleOptions> = {
  variables: RealtimeVariables,
  defaults: {
    all: {
      OPENAI_REALTIME_URL: 'wss://api.openai.com/v1/realtime',
      OPENAI_REALTIME_MODEL: 'gpt-realtime',
      OPENAI_CONNECT_TIMEOUT_MS: '5000',
      OPENAI_CONNECT_ATTEMPTS: '3',
      OPENAI_MAX_RECONNECTS_PER_CALL: '5',
      PRE_READY_BUFFER_MS: '5000',
    },
  },
  section: (env) => ({
    url: env.OPENAI_REALTIME_URL,
    apiKey: env.OPENAI_API_KEY,
    model: env.OPENAI_REALTIME_MODEL,
    connectTimeoutMs: env.OPENAI_CONNECT_TIMEOUT_MS,
    connectAttempts: env.OPENAI_CONNECT_ATTEMPTS,
    maxReconnectsPerCall: env.OPENAI_MAX_RECONNECTS_PER_CALL,
    preReadyBufferMs: env.PRE_READY_BUFFER_MS,
  }),
};
