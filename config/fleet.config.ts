import type { FleetModuleOptions } from '@app/fleet';
import { IsIn, IsOptional, Matches } from 'class-validator';
import { EmptyMeansUnset } from './config-owner';
import type { ConfigOwner } from './config-owner';

/** Live state shared by every instance, and how many instances there are (libs/fleet). */
export class FleetVariables {
  /** Redis shared by every instance (console, idempotency keys, rate limits, fleet call cap, fleet bus); unset: each process alone. */
  @EmptyMeansUnset()
  @IsOptional()
  @Matches(/^rediss?:\/\/\S+$/, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL?: string;

  /** Prefix of every Redis key and channel, so gateways (or test runs) can share one Redis. */
  @Matches(/^[A-Za-z0-9_.:{}-]{1,64}$/, { message: 'REDIS_KEY_PREFIX must be 1 to 64 letters, digits or _ . : { } -' })
  REDIS_KEY_PREFIX: string;

  /** `true`: the gateway runs as exactly one replica, so per-process state (SQLite records, no Redis) is acceptable. */
  @IsIn(['true', 'false'], { message: 'SINGLE_REPLICA must be true or false' })
  SINGLE_REPLICA: 'true' | 'false';
}

export const fleetConfig: ConfigOwner<FleetModuleOptions> = {
  variables: FleetVariables,
  defaults: {
    all: { REDIS_KEY_PREFIX: 'voice-gateway:' },
    local: { SINGLE_REPLICA: 'true' },
    development: { SINGLE_REPLICA: 'true' },
    test: { SINGLE_REPLICA: 'true' },
    production: { SINGLE_REPLICA: 'false' },
  },
  check(env) {
    // Records (and the webhook outbox) must be shared by every replica: the embedded store is per pod.
    if (env.NODE_ENV !== 'production' || env.DATABASE_URL || env.SINGLE_REPLICA === 'true') return [];
    return [
      'DATABASE_URL: is required in production, so that every replica shares the call records and the webhook outbox; ' +
        'to run exactly one replica on the embedded SQLite store instead, set SINGLE_REPLICA=true explicitly',
    ];
  },
  section: (env) => ({ redisUrl: env.REDIS_URL, keyPrefix: env.REDIS_KEY_PREFIX, singleReplica: env.SINGLE_REPLICA === 'true' }),
};
