import { Injectable } from '@nestjs/common';
import { SharedState } from '../redis/shared-state.service';

const RELEASE_IF_OURS = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * "Only once across the fleet" for a while: `claimOnce(key, ttlMs)` is true for the first claim of a
 * key on any instance until the claim expires or is released (e.g. one live stream per CallSid, a
 * token used once). SET NX PX in Redis; while Redis is unavailable the answer comes from this
 * process alone (counted as a fallback), which cannot see claims made on other instances.
 */
@Injectable()
export class SharedClaims {
  /** Claims this process knows of (its own, mirrored while Redis is up), with their expiry. */
  private readonly local = new Map<string, number>();

  constructor(private readonly state: SharedState) {}

  async claimOnce(key: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    this.forgetExpired(now);
    const redis = this.state.redis;
    if (redis) {
      try {
        const won = await redis.run((client) =>
          client.set(redis.key('claim', key), this.state.instanceId, { condition: 'NX', expiration: { type: 'PX', value: ttlMs } }),
        );
        if (won === null) return false;
        this.local.set(key, now + ttlMs);
        return true;
      } catch {
        redis.fellBack('claims');
      }
    }
    if ((this.local.get(key) ?? 0) > now) return false;
    this.local.set(key, now + ttlMs);
    return true;
  }

  /** Gives a claim up early (only this instance's own claim is removed from Redis). */
  async release(key: string): Promise<void> {
    this.local.delete(key);
    const redis = this.state.redis;
    if (!redis) return;
    try {
      await redis.run((client) => client.eval(RELEASE_IF_OURS, { keys: [redis.key('claim', key)], arguments: [this.state.instanceId] }));
    } catch {
      redis.fellBack('claims');
    }
  }

  private forgetExpired(now: number): void {
    if (this.local.size < 1000) return;
    for (const [key, expiresAt] of this.local) if (expiresAt <= now) this.local.delete(key);
  }
}
