import { Module } from '@nestjs/common';
import { FleetBus } from './bus/fleet-bus.service';
import { SharedClaims } from './claims/shared-claims.service';
import { ConfigurableFleetModule } from './fleet.module-definition';
import { IdempotencyInterceptor } from './idempotency/idempotency.interceptor';
import { IdempotencyStore } from './idempotency/idempotency.store';
import { IdempotentRequests } from './idempotency/idempotent-requests.service';
import { FleetCallLeases } from './leases/fleet-call-leases.service';
import { SharedLeases } from './leases/shared-leases.service';
import { InstanceSnapshots } from './lists/instance-snapshots.service';
import { SharedLists } from './lists/shared-lists.service';
import { SharedState } from './redis/shared-state.service';
import { FleetThrottlerStorage } from './throttling/fleet-throttler-storage';

const PROVIDERS = [SharedState, FleetBus, SharedClaims, IdempotencyStore, IdempotentRequests, IdempotencyInterceptor, FleetThrottlerStorage, FleetCallLeases, SharedLeases, InstanceSnapshots, SharedLists];

/**
 * Live state shared by every instance of the gateway, in Redis (`redisUrl`): the fleet bus, claims
 * ("once across the fleet"), idempotency keys, rate-limit counters, call leases for the fleet-wide
 * cap and other capped lease sets, and expiring snapshots and lists (the console across
 * instances). Every feature fails fast and answers from this process while Redis is unavailable,
 * and without a Redis URL the process is the whole fleet. Global: registered once by the
 * application.
 */
@Module({ providers: PROVIDERS, exports: PROVIDERS })
export class FleetModule extends ConfigurableFleetModule {}
