import { Injectable } from '@nestjs/common';
import { SharedState } from '../redis/shared-state.service';

/** PUT (KEYS: index, value key; ARGV: instance, value, ttl): the index is scored by expiry on Redis's clock. */
const PUT = `
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
return 1`;
/** LIVE (KEYS: index): the instances whose snapshot has not expired. */
const LIVE = `
local t = redis.call('TIME')
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', t[1] * 1000 + math.floor(t[2] / 1000))
return redis.call('ZRANGE', KEYS[1], 0, -1)`;

/**
 * One value per instance and namespace that expires unless the instance refreshes it, so what a
 * dead instance published disappears by itself (e.g. each instance's list of live calls, for a
 * console on any instance). Readers see every live instance's latest value.
 */
@Injectable()
export class InstanceSnapshots {
  constructor(private readonly state: SharedState) {}

  /** Publishes this instance's value; false when Redis is unavailable (or not configured). */
  async put(namespace: string, value: string, ttlMs: number): Promise<boolean> {
    const redis = this.state.redis;
    if (!redis) return false;
    try {
      await redis.run((client) =>
        client.eval(PUT, { keys: [this.indexKey(namespace), this.valueKey(namespace, this.state.instanceId)], arguments: [this.state.instanceId, value, String(ttlMs)] }),
      );
      return true;
    } catch {
      redis.fellBack('snapshots');
      return false;
    }
  }

  /** Every other live instance's value; undefined when Redis is unavailable (or not configured). */
  async readOthers(namespace: string): Promise<Array<{ instanceId: string; value: string }> | undefined> {
    const redis = this.state.redis;
    if (!redis) return undefined;
    try {
      const instances = ((await redis.run((client) => client.eval(LIVE, { keys: [this.indexKey(namespace)] }))) as string[]).filter(
        (id) => id !== this.state.instanceId,
      );
      if (instances.length === 0) return [];
      const values = await redis.run((client) => client.mGet(instances.map((id) => this.valueKey(namespace, id))));
      return instances.flatMap((instanceId, i) => (typeof values[i] === 'string' ? [{ instanceId, value: values[i] as string }] : []));
    } catch {
      redis.fellBack('snapshots');
      return undefined;
    }
  }

  private indexKey(namespace: string): string {
    return this.state.redis!.key('snapshots', namespace, 'instances');
  }

  private valueKey(namespace: string, instanceId: string): string {
    return this.state.redis!.key('snapshots', namespace, instanceId);
  }
}
