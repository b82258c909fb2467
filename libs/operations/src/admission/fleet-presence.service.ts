import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { FleetBus, FleetCallLeases } from '@app/fleet';
import { CallEvents } from '@app/orchestration';
import type { ObservedCall } from '@app/orchestration';
import { OPERATIONS_OPTIONS } from '../operations.module-definition';
import type { OperationsModuleOptions } from '../operations.module-definition';

/**
 * Makes this instance's calls known to the fleet while they live: the fleet bus routes messages
 * for a call to the instance serving it, and (with a fleet-wide cap) the call's lease is adopted
 * and renewed here, so it lapses by itself if this instance dies.
 */
@Injectable()
export class FleetPresence implements OnModuleInit, OnApplicationShutdown {
  private unsubscribe?: () => void;

  constructor(
    private readonly events: CallEvents,
    private readonly bus: FleetBus,
    private readonly leases: FleetCallLeases,
    @Inject(OPERATIONS_OPTIONS) private readonly config: OperationsModuleOptions,
  ) {}

  onModuleInit(): void {
    this.unsubscribe = this.events.subscribe({
      callStarted: (call: ObservedCall) => {
        if (!call.callSid) return;
        this.bus.holdCall(call.callSid);
        if (this.config.fleetMaxConcurrentCalls !== undefined) this.leases.adopt(call.callSid);
      },
      callEnded: (call: ObservedCall) => {
        if (!call.callSid) return;
        this.bus.releaseCall(call.callSid);
        if (this.config.fleetMaxConcurrentCalls !== undefined) this.leases.release(call.callSid);
      },
    });
  }

  // Not onModuleDestroy: calls ending during the SIGTERM drain must still be released.
  onApplicationShutdown(): void {
    this.unsubscribe?.();
  }
}
