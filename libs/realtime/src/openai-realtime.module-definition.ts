import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { RealtimeAuthScheme } from './realtime-session';

export interface OpenAIRealtimeModuleOptions {
  /** The Realtime WebSocket URL (`wss://api.openai.com/v1/realtime`, Azure's, or a simulator's); `?model=` is appended. */
  url: string;
  /** The OpenAI key; undefined for a simulator that needs none. */
  apiKey?: string;
  /** How the key is sent: `Authorization: Bearer` (default) or Azure OpenAI's `api-key` header. */
  auth?: RealtimeAuthScheme;
  /** The default model of calls (a profile may run another); on Azure, a deployment name. */
  model: string;
  /** From opening a socket to `session.updated`; past it the attempt is abandoned. */
  connectTimeoutMs: number;
  /** Tries per connect or reconnect of a call's session before giving up. */
  connectAttempts: number;
  /** Session losses (drops, expiries) one call may recover from before it falls back. */
  maxReconnectsPerCall: number;
  /** Size of the pre-ready buffer: caller audio kept while no session is ready, in ms. */
  preReadyBufferMs: number;
  /**
   * Looks the models up at start-up (`GET {apiBaseUrl}/models/{id}`, in the background) and warns
   * about announced shutdowns; undefined: no lookup.
   */
  modelCheck?: ModelCheckOptions;
}

export interface ModelCheckOptions {
  /** The REST API base, e.g. `https://api.openai.com/v1`. */
  apiBaseUrl: string;
  /** Per lookup; a lookup that takes longer is given up (start-up never waits for it). */
  timeoutMs: number;
  /** Every model the gateway may use: realtime models (the default and the profiles') and the transcription model. */
  models: string[];
  /** Azure answers 404 for deployment names: unknown, not an error. */
  azure?: boolean;
}

export const { ConfigurableModuleClass: ConfigurableOpenAIRealtimeModule, MODULE_OPTIONS_TOKEN: OPENAI_REALTIME_OPTIONS } =
  new ConfigurableModuleBuilder<OpenAIRealtimeModuleOptions>({ moduleName: 'OpenAIRealtime' })
    .setClassMethodName('forRoot')
    // Global: registered once by the application, used by the call orchestration.
    .setExtras({}, (definition) => ({ ...definition, global: true }))
    .build();
