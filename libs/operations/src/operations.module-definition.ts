import { ConfigurableModuleBuilder } from '@nestjs/common';

export interface OperationsModuleOptions {
  /** How long a SIGTERM waits for live calls to end before saying goodbye to the rest. */
  drainTimeoutMs: number;
  /** Calls this process takes at once; further calls are refused politely. Undefined: no limit. */
  maxConcurrentCalls?: number;
  /**
   * Media streams beyond `maxConcurrentCalls` this process still serves: calls whose webhook was
   * answered by another, less busy instance. Past it a stream is redirected to the refusal.
   */
  streamHeadroom: number;
  /** Calls the whole fleet takes at once (leases in shared state); undefined: no fleet-wide limit. */
  fleetMaxConcurrentCalls?: number;
  /** Said (`<Say>`) to callers refused while draining or at capacity. */
  callRefusedMessage: string;
  /** Said (`<Say>`) to callers still connected when the drain timeout passes. */
  drainGoodbyeMessage: string;
}

export const { ConfigurableModuleClass: ConfigurableOperationsModule, MODULE_OPTIONS_TOKEN: OPERATIONS_OPTIONS } =
  new ConfigurableModuleBuilder<OperationsModuleOptions>({ moduleName: 'Operations' })
    .setClassMethodName('forRoot')
    .build();
