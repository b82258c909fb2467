import { apiBaseFromRealtimeUrl, isAzureOpenAIUrl } from '@app/realtime';
import type { OpenAIRealtimeModuleOptions } from '@app/realtime';
import { IsIn, IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min, MinLength, ValidateIf } from 'class-validator';
import { EmptyMeansUnset, ToNumber } from './config-owner';
import type { ConfigOwner } from './config-owner';
import type { EnvironmentVariables } from './environment';

/** A model id or an Azure deployment name. */
export const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

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

  /** The default Realtime model of calls (on Azure: the deployment name). */
  @Matches(MODEL_NAME, { message: 'OPENAI_REALTIME_MODEL must be a model id (or an Azure deployment name): letters, digits, ".", "_", ":", "-"' })
  OPENAI_REALTIME_MODEL: string;

  /** How the key is sent: `auto` (Azure OpenAI hosts get `api-key`, anything else `Authorization: Bearer`), `bearer` or `api-key`. */
  @IsIn(['auto', 'bearer', 'api-key'])
  OPENAI_AUTH_SCHEME: 'auto' | 'bearer' | 'api-key';

  /** OpenAI's REST API base, for the model lookup at start-up; unset: derived from OPENAI_REALTIME_URL. */
  @EmptyMeansUnset()
  @IsOptional()
  @IsUrl({ protocols: ['https', 'http'], require_tld: false, require_protocol: true })
  OPENAI_API_BASE_URL?: string;

  /** Per model looked up at start-up for an announced shutdown (never delaying start-up); 0: no lookup. */
  @ToNumber() @IsInt() @Min(0) @Max(30000)
  OPENAI_MODEL_CHECK_TIMEOUT_MS: number;

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
      OPENAI_REALTIME_MODEL: 'gpt-realtime-2.1',
      OPENAI_AUTH_SCHEME: 'auto',
      OPENAI_MODEL_CHECK_TIMEOUT_MS: '3000',
      OPENAI_CONNECT_TIMEOUT_MS: '5000',
      OPENAI_CONNECT_ATTEMPTS: '3',
      OPENAI_MAX_RECONNECTS_PER_CALL: '5',
      PRE_READY_BUFFER_MS: '5000',
    },
  },
  section: (env) => {
    const azure = isAzureOpenAIUrl(env.OPENAI_REALTIME_URL);
    const checkModels = env.NODE_ENV !== 'local' && env.OPENAI_API_KEY !== undefined && env.OPENAI_MODEL_CHECK_TIMEOUT_MS > 0;
    return {
      url: env.OPENAI_REALTIME_URL,
      apiKey: env.OPENAI_API_KEY,
      auth: env.OPENAI_AUTH_SCHEME === 'auto' ? (azure ? 'api-key' : 'bearer') : env.OPENAI_AUTH_SCHEME,
      model: env.OPENAI_REALTIME_MODEL,
      connectTimeoutMs: env.OPENAI_CONNECT_TIMEOUT_MS,
      connectAttempts: env.OPENAI_CONNECT_ATTEMPTS,
      maxReconnectsPerCall: env.OPENAI_MAX_RECONNECTS_PER_CALL,
      preReadyBufferMs: env.PRE_READY_BUFFER_MS,
      // The application adds the profiles' models and the transcription model.
      modelCheck: checkModels
        ? {
            apiBaseUrl: env.OPENAI_API_BASE_URL ?? apiBaseFromRealtimeUrl(env.OPENAI_REALTIME_URL),
            timeoutMs: env.OPENAI_MODEL_CHECK_TIMEOUT_MS,
            models: [env.OPENAI_REALTIME_MODEL],
            azure,
          }
        : undefined,
    };
  },
};
