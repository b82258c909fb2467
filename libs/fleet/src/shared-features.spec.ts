import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deleteKeys, eventually, requireRedis, TEST_REDIS_URL, uniqueKeyPrefix } from '../../../test/support/redis';
import { FleetBus } from './bus/fleet-bus.service';
import { SharedClaims } from './claims/shared-claims.service';
import { IdempotencyStore } from './idempotency/idempotency.store';
import { FleetCallLeases } from './leases/fleet-call-leases.service';
import { SharedLeases } from './leases/shared-leases.service';
import { InstanceSnapshots } from './lists/instance-snapshots.service';
import { SharedLists } from './lists/shared-lists.service';
import { SharedState } from './redis/shared-state.service';
import { FleetThrottlerStorage } from './throttling/fleet-throttler-storage';

/** Two instances of the gateway on one Redis (A and B), one with no Redis at all, one whose Redis is down. */
describe('shared live state across instances', () => {
  const prefix = uniqueKeyPrefix('fleet');
  const states: SharedState[] = [];
  const instance = (redisUrl: string | null) => {
    const state = new SharedState({ redisUrl: redisUrl ?? undefined, keyPrefix: prefix, commandTimeoutMs: 300 });
    states.push(state);
    return state;
  };
  let a: SharedState;
  let b: SharedState;
  let alone: SharedState;
  let down: SharedState;

  beforeAll(async () => {
    await requireRedis();
    a = instance(TEST_REDIS_URL);
    b = instance(TEST_REDIS_URL);
    alone = instance(null);
    down = instance('redis://127.0.0.1:1');
    await eventually(() => a.status === 'up' && b.status === 'up' && down.status === 'down', 'the connections');
  });
  afterAll(async () => {
    for (const state of states) await state.onApplicationShutdown();
    await deleteKeys(prefix);
  });

  describe('claimOnce', () => {
    it('grants a key to one instance until it expires or is released', async () => {
      const [onA, onB] = [new SharedClaims(a), new SharedClaims(b)];
      expect(await onA.claimOnce('CA1', 300)).toBe(true);
      expect(await onB.claimOnce('CA1', 300)).toBe(false);
      expect(await onA.claimOnce('CA1', 300)).toBe(false);
      await onB.release('CA1'); // not B's claim: no effect
      expect(await onB.claimOnce('CA1', 300)).toBe(false);
      await onA.release('CA1');
      expect(await onB.claimOnce('CA1', 300)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 350));
      expect(await onA.claimOnce('CA1', 300)).toBe(true);
    });

    it('answers from this process without Redis, and while Redis is down (counted)', async () => {
      for (const state of [alone, down]) {
        const claims = new SharedClaims(state);
        expect(await claims.claimOnce('CA2', 10_000)).toBe(true);
        expect(await claims.claimOnce('CA2', 10_000)).toBe(false);
      }
      expect(down.fallbacks.get('claims')).toBe(2);
    });
  });

  describe('idempotency keys', () => {
    it('runs the first request, replays its answer on another instance, refuses another body and a retry in progress', async () => {
      const [onA, onB] = [new IdempotencyStore(a), new IdempotencyStore(b)];
      const first = await onA.claim('key-1', 'body-1');
      expect(first.outcome).toBe('first');
      expect(await onB.claim('key-1', 'body-1')).toEqual({ outcome: 'in-progress' });
      await onA.complete('key-1', (first as { owner: string }).owner, 'body-1', { callSid: 'CA9' });
      expect(await onB.claim('key-1', 'body-1')).toEqual({ outcome: 'replay', response: { callSid: 'CA9' } });
      expect(await onB.claim('key-1', 'body-2')).toEqual({ outcome: 'mismatch' });
    });

    it('frees the key when the first request failed, and after the running lease expires', async () => {
      const [onA, onB] = [new IdempotencyStore(a), new IdempotencyStore(b)];
      const first = (await onA.claim('key-2', 'x')) as { owner: string };
      await onA.abandon('key-2', first.owner);
      expect((await onB.claim('key-2', 'x', { doneMs: 10_000, runningMs: 200 })).outcome).toBe('first');
      await new Promise((resolve) => setTimeout(resolve, 250));
      expect((await onA.claim('key-2', 'x')).outcome).toBe('first');
    });

    it('decides in this process without Redis, and while Redis is down', async () => {
      for (const state of [alone, down]) {
        const store = new IdempotencyStore(state);
        const first = (await store.claim('key-3', 'x')) as { outcome: string; owner: string };
        expect(first.outcome).toBe('first');
        await store.complete('key-3', first.owner, 'x', { ok: 1 });
        expect(await store.claim('key-3', 'x')).toEqual({ outcome: 'replay', response: { ok: 1 } });
        expect(await store.claim('key-3', 'y')).toEqual({ outcome: 'mismatch' });
      }
      expect(down.fallbacks.get('idempotency')).toBeGreaterThanOrEqual(3);
    });
  });

  describe('FleetThrottlerStorage', () => {
    it('counts one window fleet-wide, blocks past the limit, and reports seconds', async () => {
      const [onA, onB] = [new FleetThrottlerStorage(a), new FleetThrottlerStorage(b)];
      expect(await onA.increment('key', 1000, 2, 3000, 'default')).toEqual({ totalHits: 1, timeToExpire: 1, isBlocked: false, timeToBlockExpire: 0 });
      expect(await onB.increment('key', 1000, 2, 3000, 'default')).toMatchObject({ totalHits: 2, isBlocked: false });
      expect(await onA.increment('key', 1000, 2, 3000, 'default')).toEqual({ totalHits: 3, timeToExpire: 1, isBlocked: true, timeToBlockExpire: 3 });
      // Another throttler name counts apart.
      expect(await onB.increment('key', 1000, 2, 3000, 'burst')).toMatchObject({ totalHits: 1, isBlocked: false });
      await new Promise((resolve) => setTimeout(resolve, 1100));
      // The window ended; the block has not.
      expect(await onB.increment('key', 1000, 2, 3000, 'default')).toMatchObject({ totalHits: 1, isBlocked: true });
    });

    it('never throws: counts in this process without Redis or while it is down', async () => {
      for (const state of [alone, down]) {
        const storage = new FleetThrottlerStorage(state);
        expect(await storage.increment('k', 60_000, 1, 60_000, 'default')).toMatchObject({ totalHits: 1, isBlocked: false, timeToExpire: 60 });
        expect(await storage.increment('k', 60_000, 1, 60_000, 'default')).toMatchObject({ totalHits: 2, isBlocked: true, timeToBlockExpire: 60 });
      }
    });
  });

  describe('call leases (the fleet-wide cap)', () => {
    it('caps calls across instances; adopted leases are never refused; a dead instance’s leases lapse', async () => {
      const [onA, onB] = [new FleetCallLeases(a), new FleetCallLeases(b)];
      onA.ttlMs = 400;
      onB.ttlMs = 400;
      expect(await onA.acquire('CA-1', 2)).toBe('acquired');
      expect(await onB.acquire('CA-2', 2)).toBe('acquired');
      expect(await onB.acquire('CA-3', 2)).toBe('full');
      expect(await onA.acquire('CA-1', 2)).toBe('acquired'); // the same call again
      // B serves CA-2's stream: it keeps that lease alive; A's lease for CA-1 is never adopted and lapses.
      onB.adopt('CA-2');
      await new Promise((resolve) => setTimeout(resolve, 250));
      await onB.renew();
      await new Promise((resolve) => setTimeout(resolve, 250));
      expect(await onB.count()).toBe(1);
      expect(await onA.acquire('CA-3', 2)).toBe('acquired');
      onB.release('CA-2');
      await eventually(async () => (await onA.count()) === 1, 'the release');
    });

    it('is this process without Redis, and answers "unavailable" while Redis is down', async () => {
      const local = new FleetCallLeases(alone);
      expect(await local.acquire('CA-1', 1)).toBe('acquired');
      expect(await local.acquire('CA-2', 1)).toBe('full');
      local.release('CA-1');
      expect(await local.acquire('CA-2', 1)).toBe('acquired');
      expect(await new FleetCallLeases(down).acquire('CA-1', 1)).toBe('unavailable');
    });
  });

  describe('lease sets (capped, across instances)', () => {
    it('caps each set across instances; renewals keep a lease, the others lapse; a release frees a place at once', async () => {
      const [onA, onB] = [new SharedLeases(a), new SharedLeases(b)];
      expect(await onA.acquire('key-1', 'pending-a', 400, 2)).toBe(true);
      expect(await onB.acquire('key-1', 'CA-b', 400, 2)).toBe(true);
      expect(await onB.acquire('key-1', 'CA-c', 400, 2)).toBe(false);
      expect(await onA.acquire('key-2', 'CA-c', 400, 2)).toBe(true); // another set, another cap
      expect(await onA.acquire('key-1', 'pending-a', 400, 2)).toBe(true); // the same lease again
      // B's call lives on (renewed); A's pending lease is never renewed and lapses.
      await new Promise((resolve) => setTimeout(resolve, 250));
      await onB.renew('key-1', ['CA-b'], 400);
      await new Promise((resolve) => setTimeout(resolve, 250));
      expect(await onA.count('key-1')).toBe(1);
      expect(await onA.acquire('key-1', 'CA-d', 60_000, 2)).toBe(true);
      expect(await onB.acquire('key-1', 'CA-e', 60_000, 2)).toBe(false);
      await onA.release('key-1', 'CA-d');
      expect(await onB.acquire('key-1', 'CA-e', 60_000, 2)).toBe(true);
    });

    it("is this process without Redis, and this process's own leases while Redis is down (counted)", async () => {
      for (const state of [alone, down]) {
        const leases = new SharedLeases(state);
        expect(await leases.acquire('key-1', 'CA-1', 60_000, 1)).toBe(true);
        expect(await leases.acquire('key-1', 'CA-2', 60_000, 1)).toBe(false);
        await leases.release('key-1', 'CA-1');
        expect(await leases.acquire('key-1', 'CA-2', 60_000, 1)).toBe(true);
      }
      expect(down.fallbacks.get('leases')).toBeGreaterThanOrEqual(4);
    });
  });

  describe('the fleet bus', () => {
    const buses: FleetBus[] = [];
    afterEach(() => {
      for (const bus of buses.splice(0)) bus.onApplicationShutdown();
    });

    it('publishes to every instance, this one included, and each message once', async () => {
      const [onA, onB] = [new FleetBus(a), new FleetBus(b)];
      buses.push(onA, onB);
      const seenByA: unknown[] = [];
      const seenByB: Array<[unknown, string]> = [];
      onA.subscribe('news', (message) => seenByA.push(message));
      onB.subscribe('news', (message, from) => seenByB.push([message, from]));
      await new Promise((resolve) => setTimeout(resolve, 100)); // the subscriptions reach Redis
      onA.publish('news', { n: 1 });
      await eventually(() => seenByB.length === 1, 'B to hear A');
      expect(seenByB).toEqual([[{ n: 1 }, a.instanceId]]);
      expect(seenByA).toEqual([{ n: 1 }]);
    });

    it('delivers a message to the instance that holds the call, and to nobody once it is released', async () => {
      const [onA, onB] = [new FleetBus(a), new FleetBus(b)];
      buses.push(onA, onB);
      const atB: Array<[string, unknown]> = [];
      const atA: Array<[string, unknown]> = [];
      onB.onCallMessage('amd.result', (callSid, message) => atB.push([callSid, message]));
      onA.onCallMessage('amd.result', (callSid, message) => atA.push([callSid, message]));
      onB.holdCall('CA-held');
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await onA.sendToCall('CA-held', 'amd.result', { answeredBy: 'human' })).toBe(true);
      await eventually(() => atB.length === 1, 'the message at B');
      expect(atB).toEqual([['CA-held', { answeredBy: 'human' }]]);
      expect(await onB.sendToCall('CA-held', 'amd.result', { again: true })).toBe(true); // held here: delivered locally
      expect(atB).toHaveLength(2);
      onB.releaseCall('CA-held');
      await eventually(async () => !(await onA.sendToCall('CA-held', 'amd.result', {})), 'the release');
      expect(await onA.sendToCall('CA-nobody', 'amd.result', {})).toBe(false);
      expect(atA).toEqual([]);
    });

    it('a call held before Redis answers (connecting, or a blip) becomes reachable as soon as it does, not at the next renewal', async () => {
      const late = instance(TEST_REDIS_URL);
      const [onLate, onA] = [new FleetBus(late), new FleetBus(a)];
      buses.push(onLate, onA);
      const atLate: string[] = [];
      onLate.onCallMessage('warm-transfer.answer', (callSid) => atLate.push(callSid));
      expect(late.status).toBe('connecting');
      onLate.holdCall('CA-held-early'); // this write fails: Redis is not connected yet
      expect(await onA.sendToCall('CA-held-early', 'warm-transfer.answer', {})).toBe(false);
      const started = Date.now();
      expect(await onA.sendToCallWithin('CA-held-early', 'warm-transfer.answer', {}, 3000)).toBe(true);
      expect(Date.now() - started).toBeLessThan(3000);
      await eventually(() => atLate.length === 1, 'the message at the holder');
      expect(atLate).toEqual(['CA-held-early']);
      expect(await onA.sendToCallWithin('CA-nobody', 'warm-transfer.answer', {}, 300)).toBe(false);
    });

    it('is this process alone without Redis', async () => {
      const bus = new FleetBus(alone);
      buses.push(bus);
      const seen: unknown[] = [];
      bus.subscribe('t', (message) => seen.push(message));
      bus.onCallMessage('x', (callSid) => seen.push(callSid));
      bus.publish('t', 1);
      bus.holdCall('CA-1');
      expect(await bus.sendToCall('CA-1', 'x', {})).toBe(true);
      expect(await bus.sendToCall('CA-2', 'x', {})).toBe(false);
      expect(seen).toEqual([1, 'CA-1']);
    });
  });

  describe('instance snapshots and shared lists', () => {
    it("shows each instance the others' latest snapshot until it expires", async () => {
      const [onA, onB] = [new InstanceSnapshots(a), new InstanceSnapshots(b)];
      expect(await onA.put('console', 'calls of A', 300)).toBe(true);
      expect(await onB.put('console', 'calls of B', 10_000)).toBe(true);
      expect(await onB.readOthers('console')).toEqual([{ instanceId: a.instanceId, value: 'calls of A' }]);
      expect(await onA.readOthers('console')).toEqual([{ instanceId: b.instanceId, value: 'calls of B' }]);
      await new Promise((resolve) => setTimeout(resolve, 350));
      expect(await onB.readOthers('console')).toEqual([]);
      expect(await new InstanceSnapshots(alone).readOthers('console')).toBeUndefined();
      expect(await new InstanceSnapshots(down).readOthers('console')).toBeUndefined();
    });

    it('keeps the newest items of capped lists, read in one round trip', async () => {
      const [onA, onB] = [new SharedLists(a), new SharedLists(b)];
      for (let i = 1; i <= 5; i++) onA.append('entries:CA1', `e${i}`, { max: 3, ttlMs: 10_000 });
      onB.append('ended', 'first', { max: 2, ttlMs: 10_000, newestFirst: true });
      onB.append('ended', 'second', { max: 2, ttlMs: 10_000, newestFirst: true });
      onB.append('ended', 'third', { max: 2, ttlMs: 10_000, newestFirst: true });
      await eventually(async () => (await onB.readMany(['entries:CA1'], 10))?.get('entries:CA1')?.at(-1) === 'e5', 'the appends');
      expect((await onB.readMany(['entries:CA1', 'entries:none'], 2))!).toEqual(new Map([['entries:CA1', ['e4', 'e5']], ['entries:none', []]]));
      await eventually(async () => (await onA.readMany(['ended'], 10, { newestFirst: true }))?.get('ended')?.[0] === 'third', 'the ended list');
      expect((await onA.readMany(['ended'], 10, { newestFirst: true }))!.get('ended')).toEqual(['third', 'second']);
    });
  });
});
