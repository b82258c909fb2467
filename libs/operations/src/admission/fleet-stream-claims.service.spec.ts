import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SharedClaims, SharedState } from '@app/fleet';
import { deleteKeys, eventually, requireRedis, TEST_REDIS_URL, uniqueKeyPrefix } from '../../../../test/support/redis';
import { FleetStreamClaims } from './fleet-stream-claims.service';

/** Stream claims of two instances on one Redis (A and B), and of one whose Redis is down. */
describe('FleetStreamClaims', () => {
  const prefix = uniqueKeyPrefix('stream-claims');
  const states: SharedState[] = [];
  const claimsOf = (redisUrl: string) => {
    const state = new SharedState({ redisUrl, keyPrefix: prefix, commandTimeoutMs: 300 });
    states.push(state);
    return { state, claims: new FleetStreamClaims(new SharedClaims(state)) };
  };
  let a: ReturnType<typeof claimsOf>;
  let b: ReturnType<typeof claimsOf>;
  let down: ReturnType<typeof claimsOf>;

  beforeAll(async () => {
    await requireRedis();
    [a, b, down] = [claimsOf(TEST_REDIS_URL), claimsOf(TEST_REDIS_URL), claimsOf('redis://127.0.0.1:1')];
    await eventually(() => a.state.status === 'up' && b.state.status === 'up' && down.state.status === 'down', 'the connections');
  });
  afterAll(async () => {
    for (const state of states) await state.onApplicationShutdown();
    await deleteKeys(prefix);
  });

  it('uses a token once across instances: replayed on the other instance, even after the call ended, it is refused', async () => {
    expect(await a.claims.claim('CAone', 'token-1', 60_000)).toBe(true);
    expect(await b.claims.claim('CAone', 'token-1', 60_000)).toBe(false);
    await a.claims.release('CAone');
    expect(await b.claims.claim('CAone', 'token-2', 60_000)).toBe(true);
    expect(await a.claims.claim('CAone', 'token-1', 60_000)).toBe(false);
  });

  it('keeps one live stream per CallSid across instances, whatever the token; a refused token does not hold the call', async () => {
    expect(await a.claims.claim('CAtwo', 'token-3', 60_000)).toBe(true);
    expect(await b.claims.claim('CAtwo', 'token-4', 60_000)).toBe(false);
    await a.claims.release('CAtwo');
    // token-4 was spent on the refused attempt; token-3 too: neither takes the call again.
    expect(await b.claims.claim('CAtwo', 'token-3', 60_000)).toBe(false);
    expect(await b.claims.claim('CAtwo', 'token-4', 60_000)).toBe(false);
    expect(await b.claims.claim('CAtwo', 'token-5', 60_000)).toBe(true);
  });

  it('answers at once from this instance while Redis is down (counted), never refusing for the outage', async () => {
    const started = Date.now();
    expect(await down.claims.claim('CAthree', 'token-6', 60_000)).toBe(true);
    expect(await down.claims.claim('CAthree', 'token-7', 60_000)).toBe(false);
    await down.claims.release('CAthree');
    expect(await down.claims.claim('CAthree', 'token-8', 60_000)).toBe(true);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(down.state.fallbacks.get('claims')).toBeGreaterThanOrEqual(4);
  });
});
