import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { FLEET_OPTIONS } from '../fleet.module-definition';
import type { FleetModuleOptions } from '../fleet.module-definition';
import { SharedRedis } from './shared-redis';
import type { SharedStateStatus } from './shared-redis';

/**
 * This instance in the fleet: its id, and the Redis connection every shared feature uses (absent
 * without a Redis URL: then each feature answers from this process, as a fleet of one).
 */
@Injectable()
export class SharedState implements OnModuleInit, OnApplicationShutdown {
  /** Unique per process (a pod's hostname plus the pid and a random suffix). */
  readonly instanceId = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  readonly redis?: SharedRedis;

  constructor(@Inject(FLEET_OPTIONS) private readonly options: FleetModuleOptions) {
    if (options.redisUrl) {
      this.redis = new SharedRedis({
        url: options.redisUrl,
        keyPrefix: options.keyPrefix,
        commandTimeoutMs: options.commandTimeoutMs ?? 300,
        breakerOpenMs: options.breakerOpenMs ?? 2000,
      });
    }
  }

  onModuleInit(): void {
    if (this.redis || this.options.singleReplica) return;
    new Logger('SharedState').warn(
      'REDIS_URL is unset: the console, idempotency keys, rate limits, stream-token claims, outbound-call slots and the fleet call cap cover this instance only. ' +
        'Set REDIS_URL when more than one replica runs (or SINGLE_REPLICA=true if exactly one does)',
    );
  }

  get status(): SharedStateStatus {
    return this.redis?.status ?? 'not-configured';
  }

  /** In-process answers given because Redis was unavailable, by feature. */
  get fallbacks(): ReadonlyMap<string, number> {
    return this.redis?.fallbacks ?? new Map();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis?.close();
  }
}
