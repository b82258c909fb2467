import { ConfigurableModuleBuilder } from '@nestjs/common';

export interface OpenAIRealtimeModuleOptions {
  /** The Realtime WebSocket URL (`wss://api.openai.com/v1/realtime`, or a simulator's); `?model=` is appended. */
  url: string;
  /** Sent as `Authorization: Bearer`; undefined for a simulator that needs none. */
  apiKey?: string;
  model: string;
  /** From opening a socket to `session.updated`; past it the attempt is abandoned. */
  connectTimeoutMs: number;
  /** Tries per connect or reconnect of a call's session before giving up. */
  connectAttempts: number;
  /** Session losses (drops, expiries) one call may recover from before it falls back. */
  maxReconnectsPerCall: number;
  /** Size of the pre-ready buffer: caller audio kept while no session is ready, in ms. */
  preReadyBufferMs: number;
}

export const { ConfigurableModuleClass: ConfigurableOpenAIRealtimeModule, MODULE_OPTIONS_TOKEN: OPENAI_REALTIME_OPTIONS } =
  new ConfigurableModuleBuilder<OpenAIRealtimeModuleOptions>({ moduleName: 'OpenAIRealtime' })
    .setClassMethodName('forRoot')
    // Global: registered once by the application, used by the call orchestration.
    .setExtras({}, (definition) => ({ ...definition, global: true }))
    .build();
