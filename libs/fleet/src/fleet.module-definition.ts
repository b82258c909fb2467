import { ConfigurableModuleBuilder } from '@nestjs/common';

export interface FleetModuleOptions {
  /** The Redis server every instance shares (`redis://` or `rediss://`); undefined: this process is the whole fleet. */
  redisUrl?: string;
  /** Prepended to every key and channel, so several gateways (or test runs) can share one Redis. */
  keyPrefix: string;
  /** The gateway runs as one replica: without Redis, nothing is lost (else a warning says what is per instance). */
  singleReplica?: boolean;
  /** Deadline of every Redis call; past it Redis counts as down for a moment. Default 300 ms. */
  commandTimeoutMs?: number;
  /** How long Redis counts as down after a failed or late call before it is tried again. Default 2 s. */
  breakerOpenMs?: number;
}

export const { ConfigurableModuleClass: ConfigurableFleetModule, MODULE_OPTIONS_TOKEN: FLEET_OPTIONS } =
  new ConfigurableModuleBuilder<FleetModuleOptions>({ moduleName: 'Fleet' })
    .setClassMethodName('forRoot')
    // Global: one connection and one instance identity per application, used by many libraries.
    .setExtras({}, (definition) => ({ ...definition, global: true }))
    .build();
