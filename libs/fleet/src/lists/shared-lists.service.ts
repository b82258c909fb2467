import { Injectable } from '@nestjs/common';
import { SharedState } from '../redis/shared-state.service';

/**
 * Short, capped, expiring lists every instance can append to and read (e.g. a call's recent
 * console entries, the recently ended calls). Appends are fire and forget; reads answer
 * undefined while Redis is unavailable (or not configured), so callers fall back to what they hold.
 */
@Injectable()
export class SharedLists {
  constructor(private readonly state: SharedState) {}

  /** Adds `item` at the end (`newestFirst`: at the start), keeping the `max` newest and the list for `ttlMs`. */
  append(list: string, item: string, options: { max: number; ttlMs: number; newestFirst?: boolean }): void {
    const redis = this.state.redis;
    if (!redis) return;
    const key = redis.key('lists', list);
    redis
      .run((client) => {
        const batch = client.multi();
        if (options.newestFirst) batch.lPush(key, item).lTrim(key, 0, options.max - 1);
        else batch.rPush(key, item).lTrim(key, -options.max, -1);
        return batch.pExpire(key, options.ttlMs).exec();
      })
      .catch(() => redis.fellBack('lists'));
  }

  /** The last `count` items (the first `count` for newest-first lists) of each list, in one round trip. */
  async readMany(lists: string[], count: number, options: { newestFirst?: boolean } = {}): Promise<Map<string, string[]> | undefined> {
    const redis = this.state.redis;
    if (!redis) return undefined;
    if (lists.length === 0) return new Map();
    try {
      const replies = (await redis.run((client) => {
        const batch = client.multi();
        for (const list of lists) {
          if (options.newestFirst) batch.lRange(redis.key('lists', list), 0, count - 1);
          else batch.lRange(redis.key('lists', list), -count, -1);
        }
        return batch.exec();
      })) as unknown as string[][];
      return new Map(lists.map((list, i) => [list, replies[i] ?? []]));
    } catch {
      redis.fellBack('lists');
      return undefined;
    }
  }
}
