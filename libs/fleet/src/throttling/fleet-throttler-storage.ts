import { Injectable } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { SharedState } from '../redis/shared-state.service';

/**
 * What `@nestjs/throttler` stores per key (its `ThrottlerStorageRecord`): hits in the current
 * window, seconds until the window ends, and whether (and for how many seconds) the key is blocked.
 */
export interface ThrottleRecord {
  totalHits: number;
  timeToExpire: number;
  isBlocked: boolean;
  timeToBlockExpire: number;
}

/**
 * Fixed window counter plus block, in one script so both keys change atomically. KEYS: hits, blocked.
 * ARGV: window ms, limit, block ms. Returns hits, window ms left, blocked (0/1), block ms left.
 */
const INCREMENT = `
local hits = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
local blocked = redis.call('PTTL', KEYS[2])
if blocked > 0 then return { hits, ttl, 1, blocked } end
if hits > tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  return { hits, ttl, 1, tonumber(ARGV[3]) }
end
return { hits, ttl, 0, 0 }`;

interface LocalEntry {
  hits: number;
  windowEndsAt: number;
  blockedUntil: number;
}

/**
 * A `ThrottlerStorage` for `@nestjs/throttler` counted fleet-wide in Redis, so a limit is the
 * same whichever instance a request reaches. Its `increment` has the storage interface's exact
 * signature and units (ttl and block duration in ms in, seconds out). It never throws: while Redis
 * is unavailable (or without one) it counts in this process, as the built-in storage does.
 *
 * Wire it as the throttler module's storage:
 *   ThrottlerModule.forRootAsync({ inject: [FleetThrottlerStorage], useFactory: (storage) => ({ throttlers, storage }) })
 */
@Injectable()
export class FleetThrottlerStorage implements ThrottlerStorage {
  private readonly local = new Map<string, LocalEntry>();
  private sweepTimer?: NodeJS.Timeout;

  constructor(private readonly state: SharedState) {}

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottleRecord> {
    const redis = this.state.redis;
    if (redis) {
      try {
        // One hash slot for both keys (the braces), so the script also runs on a clustered Redis.
        const base = redis.key('throttle', `{${throttlerName}:${key}}`);
        const reply = (await redis.run((client) =>
          client.eval(INCREMENT, { keys: [`${base}:hits`, `${base}:blocked`], arguments: [String(ttl), String(limit), String(blockDuration)] }),
        )) as number[];
        const [hits, windowMs, blocked, blockMs] = reply.map(Number);
        return { totalHits: hits, timeToExpire: Math.ceil(windowMs / 1000), isBlocked: blocked === 1, timeToBlockExpire: Math.ceil(blockMs / 1000) };
      } catch {
        redis.fellBack('rate-limits');
      }
    }
    return this.incrementLocally(`${throttlerName}:${key}`, ttl, limit, blockDuration);
  }

  private incrementLocally(key: string, ttl: number, limit: number, blockDuration: number, now = Date.now()): ThrottleRecord {
    this.scheduleSweep();
    let entry = this.local.get(key);
    if (!entry || (entry.windowEndsAt <= now && entry.blockedUntil <= now)) {
      entry = { hits: 0, windowEndsAt: now + ttl, blockedUntil: 0 };
      this.local.set(key, entry);
    }
    if (entry.windowEndsAt <= now) {
      entry.hits = 0;
      entry.windowEndsAt = now + ttl;
    }
    entry.hits++;
    if (entry.blockedUntil <= now && entry.hits > limit) entry.blockedUntil = now + blockDuration;
    const blocked = entry.blockedUntil > now;
    return {
      totalHits: entry.hits,
      timeToExpire: Math.ceil((entry.windowEndsAt - now) / 1000),
      isBlocked: blocked,
      timeToBlockExpire: blocked ? Math.ceil((entry.blockedUntil - now) / 1000) : 0,
    };
  }

  /** Expired local counters are dropped once a minute while any exist. */
  private scheduleSweep(): void {
    if (this.sweepTimer) return;
    this.sweepTimer = setTimeout(() => {
      this.sweepTimer = undefined;
      const now = Date.now();
      for (const [key, entry] of this.local) if (entry.windowEndsAt <= now && entry.blockedUntil <= now) this.local.delete(key);
      if (this.local.size > 0) this.scheduleSweep();
    }, 60_000);
    this.sweepTimer.unref();
  }
}
