import { Injectable } from '@nestjs/common';
import { SharedState } from '../redis/shared-state.service';
import { ACQUIRE_LEASE, COUNT_LEASES, RENEW_LEASES } from './lease-scripts';

/**
 * Named sets of leases with a cap, shared by every instance: "at most N of these at once across the
 * fleet" for things that end on their own or are given back (e.g. an API key's outbound calls
 * ringing or live). A lease lapses at its expiry unless renewed, so what a dead instance held comes
 * back by itself. In Redis (one sorted set per name, expiries on Redis's clock, within the fleet
 * library's deadline); without Redis, and while it is unavailable, this process's own leases
 * answer (counted as a fallback): a cap then counts this instance's leases only.
 */
@Injectable()
export class SharedLeases {
  /** This process's leases per set, with their expiry: the answer without Redis (and while it is down). */
  private readonly local = new Map<string, Map<string, number>>();

  constructor(private readonly state: SharedState) {}

  /** Takes (or renews) `member`'s lease in `set` for `ttlMs`: false when `set` already holds `cap` others (cap 0: no cap). */
  async acquire(set: string, member: string, ttlMs: number, cap: number): Promise<boolean> {
    const redis = this.state.redis;
    if (redis) {
      try {
        const taken = (await redis.run((client) => client.eval(ACQUIRE_LEASE, { keys: [this.setKey(set)], arguments: [String(ttlMs), String(cap), member] }))) === 1;
        // Mirrored here, so this instance's own leases still count while Redis is down.
        if (taken) this.acquireLocally(set, member, ttlMs, 0);
        return taken;
      } catch {
        redis.fellBack('leases');
      }
    }
    return this.acquireLocally(set, member, ttlMs, cap);
  }

  /** Pushes the expiry of `members`' leases in `set` to `ttlMs` from now (never refused). */
  async renew(set: string, members: readonly string[], ttlMs: number): Promise<void> {
    if (members.length === 0) return;
    for (const member of members) this.acquireLocally(set, member, ttlMs, 0);
    const redis = this.state.redis;
    if (!redis) return;
    try {
      await redis.run((client) => client.eval(RENEW_LEASES, { keys: [this.setKey(set)], arguments: [String(ttlMs), ...members] }));
    } catch {
      redis.fellBack('leases');
    }
  }

  async release(set: string, member: string): Promise<void> {
    this.forget(set, member);
    const redis = this.state.redis;
    if (!redis) return;
    try {
      await redis.run((client) => client.zRem(this.setKey(set), member));
    } catch {
      redis.fellBack('leases');
    }
  }

  /** Live leases in `set` (this process's, without Redis or while it is down). */
  async count(set: string): Promise<number> {
    const redis = this.state.redis;
    if (redis) {
      try {
        return Number(await redis.run((client) => client.eval(COUNT_LEASES, { keys: [this.setKey(set)] })));
      } catch {
        redis.fellBack('leases');
      }
    }
    return this.liveLocal(set, Date.now()).size;
  }

  private acquireLocally(set: string, member: string, ttlMs: number, cap: number): boolean {
    const now = Date.now();
    const leases = this.liveLocal(set, now);
    if (cap > 0 && !leases.has(member) && leases.size >= cap) return false;
    leases.set(member, now + ttlMs);
    this.local.set(set, leases);
    return true;
  }

  private forget(set: string, member: string): void {
    const leases = this.local.get(set);
    leases?.delete(member);
    if (leases?.size === 0) this.local.delete(set);
  }

  /** The set's unexpired local leases (expired ones are dropped as they are met: no timers). */
  private liveLocal(set: string, now: number): Map<string, number> {
    const leases = this.local.get(set) ?? new Map<string, number>();
    for (const [member, expiresAt] of leases) if (expiresAt <= now) leases.delete(member);
    return leases;
  }

  private setKey(set: string): string {
    return this.state.redis!.key('leases', set);
  }
}
