import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { SharedState } from '../redis/shared-state.service';

/** What the first request with a key left behind: still running, or its answer. */
type StoredEntry = { state: 'running'; fingerprint: string; owner: string } | { state: 'done'; fingerprint: string; response: unknown };

/** The outcome of presenting an idempotency key with a request. */
export type IdempotencyClaim =
  | { outcome: 'first'; owner: string }
  | { outcome: 'in-progress' }
  | { outcome: 'mismatch' }
  | { outcome: 'replay'; response: unknown };

export interface IdempotencyTtls {
  /** How long a finished request's answer is replayed. */
  doneMs: number;
  /** How long a request may run before its key is free again (e.g. its instance died mid-request). */
  runningMs: number;
}

export const DEFAULT_IDEMPOTENCY_TTLS: IdempotencyTtls = { doneMs: 24 * 60 * 60_000, runningMs: 60_000 };

const COMPLETE_IF_OURS = `
local current = redis.call('GET', KEYS[1])
if current and cjson.decode(current).owner ~= ARGV[2] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return 1`;
const ABANDON_IF_OURS = `
local current = redis.call('GET', KEYS[1])
if current and cjson.decode(current).owner == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * Idempotency keys shared by every instance: the first request with a key runs; a retry with the
 * same key and body (on any instance) gets the first answer; a retry while the first still runs,
 * or with another body, is told so. In Redis (SET NX); while Redis is unavailable this process
 * decides alone (counted as a fallback), so a retry reaching another instance then is not recognised.
 */
@Injectable()
export class IdempotencyStore {
  private readonly local = new Map<string, { entry: StoredEntry; expiresAt: number }>();

  constructor(private readonly state: SharedState) {}

  async claim(scopedKey: string, fingerprint: string, ttls: IdempotencyTtls = DEFAULT_IDEMPOTENCY_TTLS): Promise<IdempotencyClaim> {
    const owner = randomBytes(9).toString('base64url');
    const running: StoredEntry = { state: 'running', fingerprint, owner };
    const redis = this.state.redis;
    if (redis) {
      try {
        const key = redis.key('idem', scopedKey);
        const won = await redis.run((client) => client.set(key, JSON.stringify(running), { condition: 'NX', expiration: { type: 'PX', value: ttls.runningMs } }));
        if (won !== null) return { outcome: 'first', owner };
        const existing = await redis.run((client) => client.get(key));
        // Expired between the two calls: the key is free again; let the client retry.
        return existing ? judge(JSON.parse(existing) as StoredEntry, fingerprint) : { outcome: 'in-progress' };
      } catch {
        redis.fellBack('idempotency');
      }
    }
    const now = Date.now();
    this.forgetExpired(now);
    const existing = this.local.get(scopedKey);
    if (existing && existing.expiresAt > now) return judge(existing.entry, fingerprint);
    this.local.set(scopedKey, { entry: running, expiresAt: now + ttls.runningMs });
    return { outcome: 'first', owner };
  }

  /** Stores the first request's answer for replays. */
  async complete(scopedKey: string, owner: string, fingerprint: string, response: unknown, ttls: IdempotencyTtls = DEFAULT_IDEMPOTENCY_TTLS): Promise<void> {
    const done: StoredEntry = { state: 'done', fingerprint, response };
    this.local.set(scopedKey, { entry: done, expiresAt: Date.now() + ttls.doneMs });
    const redis = this.state.redis;
    if (!redis) return;
    try {
      await redis.run((client) =>
        client.eval(COMPLETE_IF_OURS, { keys: [redis.key('idem', scopedKey)], arguments: [JSON.stringify({ ...done, owner }), owner, String(ttls.doneMs)] }),
      );
    } catch {
      redis.fellBack('idempotency');
    }
  }

  /** Frees the key after the first request failed, so the client may try again. */
  async abandon(scopedKey: string, owner: string): Promise<void> {
    const local = this.local.get(scopedKey);
    if (local?.entry.state === 'running' && local.entry.owner === owner) this.local.delete(scopedKey);
    const redis = this.state.redis;
    if (!redis) return;
    try {
      await redis.run((client) => client.eval(ABANDON_IF_OURS, { keys: [redis.key('idem', scopedKey)], arguments: [owner] }));
    } catch {
      redis.fellBack('idempotency');
    }
  }

  private forgetExpired(now: number): void {
    if (this.local.size < 1000) return;
    for (const [key, { expiresAt }] of this.local) if (expiresAt <= now) this.local.delete(key);
  }
}

function judge(entry: StoredEntry, fingerprint: string): IdempotencyClaim {
  if (entry.fingerprint !== fingerprint) return { outcome: 'mismatch' };
  return entry.state === 'done' ? { outcome: 'replay', response: entry.response } : { outcome: 'in-progress' };
}
