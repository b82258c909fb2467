import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { SharedState } from '../redis/shared-state.service';
import { ACQUIRE_LEASE as ACQUIRE, COUNT_LEASES as COUNT, RENEW_LEASES as RENEW } from './lease-scripts';

/** A lease lives this long unless renewed; the instance holding the call renews it every third of it. */
export const CALL_LEASE_TTL_MS = 60_000;

export type LeaseOutcome = 'acquired' | 'full' | 'unavailable';

/**
 * Leases for the fleet-wide concurrent-call cap, in one sorted set of live calls (see
 * lease-scripts): a call takes one when its webhook is answered (`acquire`, refused beyond the
 * cap), the instance serving its stream adopts it at `start`
 * (`adopt`, never refused: the caller was already let in) and renews it while the call lives, and
 * it is released at the end. Without Redis the fleet is this process. While Redis is unavailable
 * `acquire` answers `unavailable` (the caller decides; the gateway lets the call in, counted).
 */
@Injectable()
export class FleetCallLeases implements OnApplicationShutdown {
  /** Calls this instance holds a lease for (adopted), renewed on a timer. */
  private readonly held = new Set<string>();
  /** The fleet of one, without Redis: every lease, with its expiry. */
  private readonly local = new Map<string, number>();
  private renewTimer?: NodeJS.Timeout;
  /** Lease lifetime (tests shorten it). */
  ttlMs = CALL_LEASE_TTL_MS;

  constructor(private readonly state: SharedState) {}

  async acquire(callSid: string, cap: number): Promise<LeaseOutcome> {
    const redis = this.state.redis;
    if (!redis) return this.acquireLocally(callSid, cap);
    try {
      const taken = await redis.run((client) => client.eval(ACQUIRE, { keys: [this.setKey()], arguments: [String(this.ttlMs), String(cap), callSid] }));
      return taken === 1 ? 'acquired' : 'full';
    } catch {
      redis.fellBack('fleet-cap');
      return 'unavailable';
    }
  }

  /** This instance now serves the call: its lease is kept alive from here until `release`. */
  adopt(callSid: string): void {
    this.held.add(callSid);
    this.startRenewing();
    const redis = this.state.redis;
    if (!redis) {
      this.local.set(callSid, Date.now() + this.ttlMs);
      return;
    }
    redis.run((client) => client.eval(ACQUIRE, { keys: [this.setKey()], arguments: [String(this.ttlMs), '0', callSid] })).catch(() => redis.fellBack('fleet-cap'));
  }

  release(callSid: string): void {
    this.held.delete(callSid);
    this.local.delete(callSid);
    if (this.held.size === 0) this.stopRenewing();
    const redis = this.state.redis;
    redis?.run((client) => client.zRem(this.setKey(), callSid)).catch(() => redis.fellBack('fleet-cap'));
  }

  /** Live leases across the fleet; undefined while Redis is unavailable. */
  async count(): Promise<number | undefined> {
    const redis = this.state.redis;
    if (!redis) return this.liveLocal(Date.now());
    try {
      return Number(await redis.run((client) => client.eval(COUNT, { keys: [this.setKey()] })));
    } catch {
      return undefined;
    }
  }

  /** Pushes every held lease's expiry forward (also run on the timer). */
  async renew(): Promise<void> {
    if (this.held.size === 0) return;
    const redis = this.state.redis;
    if (!redis) {
      const expiresAt = Date.now() + this.ttlMs;
      for (const callSid of this.held) this.local.set(callSid, expiresAt);
      return;
    }
    try {
      await redis.run((client) => client.eval(RENEW, { keys: [this.setKey()], arguments: [String(this.ttlMs), ...this.held] }));
    } catch {
      redis.fellBack('fleet-cap');
    }
  }

  onApplicationShutdown(): void {
    this.stopRenewing();
  }

  private acquireLocally(callSid: string, cap: number): LeaseOutcome {
    const now = Date.now();
    if (!this.local.has(callSid) && cap > 0 && this.liveLocal(now) >= cap) return 'full';
    this.local.set(callSid, now + this.ttlMs);
    return 'acquired';
  }

  private liveLocal(now: number): number {
    for (const [callSid, expiresAt] of this.local) if (expiresAt <= now) this.local.delete(callSid);
    return this.local.size;
  }

  private setKey(): string {
    return this.state.redis!.key('calls', 'leases');
  }

  private startRenewing(): void {
    if (this.renewTimer) return;
    this.renewTimer = setInterval(() => void this.renew(), Math.max(1000, Math.floor(this.ttlMs / 3)));
    this.renewTimer.unref();
  }

  private stopRenewing(): void {
    clearInterval(this.renewTimer);
    this.renewTimer = undefined;
  }
}
