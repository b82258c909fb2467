import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deleteKeys, eventually, requireRedis, TEST_REDIS_URL, uniqueKeyPrefix } from '../../../../test/support/redis';
import { TcpProxy } from '../../../../test/support/tcp-proxy';
import { SharedRedis, SharedStateUnavailableError } from './shared-redis';

describe('SharedRedis: fail fast, whatever Redis does', () => {
  const prefix = uniqueKeyPrefix('shared-redis');
  const opened: SharedRedis[] = [];
  let proxy: TcpProxy | undefined;
  const open = (url: string, commandTimeoutMs = 200) => {
    const redis = new SharedRedis({ url, keyPrefix: prefix, commandTimeoutMs, breakerOpenMs: 300 });
    opened.push(redis);
    return redis;
  };

  beforeAll(() => requireRedis());
  afterEach(async () => {
    for (const redis of opened.splice(0)) await redis.close();
    await proxy?.close();
    proxy = undefined;
    await deleteKeys(prefix);
  });

  it('starts without Redis and answers "unavailable" at once, never waiting', async () => {
    const redis = open('redis://127.0.0.1:1'); // nothing listens there
    await eventually(() => redis.status === 'down', 'the down state');
    const started = Date.now();
    await expect(redis.run((client) => client.get('x'))).rejects.toBeInstanceOf(SharedStateUnavailableError);
    expect(Date.now() - started).toBeLessThan(50);
  });

  it('puts its own deadline on a server that stopped answering, opens the breaker, and recovers', async () => {
    proxy = await TcpProxy.start(6379);
    const redis = open(`redis://127.0.0.1:${proxy.port}`);
    await eventually(() => redis.status === 'up', 'the connection');
    await redis.run((client) => client.set(redis.key('k'), 'v'));

    proxy.hang();
    const started = Date.now();
    await expect(redis.run((client) => client.get(redis.key('k')))).rejects.toThrow(/no answer within 200 ms/);
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(190);
    expect(waited).toBeLessThan(1000);
    // The breaker is open: the next call does not wait at all.
    expect(redis.status).toBe('down');
    const next = Date.now();
    await expect(redis.run((client) => client.get(redis.key('k')))).rejects.toBeInstanceOf(SharedStateUnavailableError);
    expect(Date.now() - next).toBeLessThan(50);

    proxy.unhang();
    await eventually(() => redis.available, 'the breaker to close', 2000);
    expect(await redis.run((client) => client.get(redis.key('k')))).toBe('v');
    expect(redis.status).toBe('up');
  });

  it('does not call Redis late when this process stalled past the deadline with the reply already waiting', async () => {
    const redis = open(TEST_REDIS_URL, 50);
    await eventually(() => redis.status === 'up', 'the connection');
    const pending = redis.run((client) => client.ping());
    await new Promise((resolve) => setImmediate(resolve)); // the command is on the wire
    const stalled = Date.now();
    while (Date.now() - stalled < 150); // a GC pause or a busy process: the reply arrives meanwhile
    await expect(pending).resolves.toBe('PONG');
    expect(redis.status).toBe('up');
  });

  it('comes back by itself after the connection was cut', async () => {
    proxy = await TcpProxy.start(6379);
    const redis = open(`redis://127.0.0.1:${proxy.port}`);
    await eventually(() => redis.status === 'up', 'the connection');
    proxy.down();
    await eventually(() => redis.status === 'down', 'the down state');
    await expect(redis.run((client) => client.ping())).rejects.toBeInstanceOf(SharedStateUnavailableError);
    proxy.up();
    await eventually(() => redis.status === 'up', 'the reconnect', 10_000);
    expect(await redis.run((client) => client.ping())).toBe('PONG');
  });

  it('keeps pub/sub subscriptions across a reconnect', async () => {
    proxy = await TcpProxy.start(6379);
    const redis = open(`redis://127.0.0.1:${proxy.port}`);
    const publisher = open('redis://127.0.0.1:6379');
    const received: string[] = [];
    redis.subscribe(redis.key('channel'), (message) => received.push(message));
    await eventually(() => redis.status === 'up' && publisher.status === 'up', 'the connections');
    await eventually(async () => (await publisher.publish(redis.key('channel'), 'one')) > 0 && received.includes('one'), 'the first message');
    proxy.down();
    proxy.up();
    await eventually(async () => (await publisher.publish(redis.key('channel'), 'two')) > 0 && received.includes('two'), 'a message after the reconnect', 10_000);
  });
});
