import { createClient } from '@redis/client';
import { randomBytes } from 'node:crypto';

/** The Redis server the tests use (these machines run one; `.ci/run` starts it if needed). */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A key prefix no other test run uses, so parallel runs never share keys. */
export function uniqueKeyPrefix(label = 'test'): string {
  return `vg-${label}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}:`;
}

/** Fails (never skips) with a clear message when the server is not there. */
export async function requireRedis(url = TEST_REDIS_URL): Promise<void> {
  const client = createClient({ url, socket: { connectTimeout: 3000, reconnectStrategy: false } });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    throw new Error(
      `Redis is required by these tests but is not reachable at ${url} (${error instanceof Error ? error.message : String(error)}). ` +
        'Start it (.ci/run does: scripts/ensure-redis.sh) or set TEST_REDIS_URL.',
    );
  } finally {
    if (client.isOpen) client.destroy();
  }
}

/** Deletes every key under the prefix. */
export async function deleteKeys(prefix: string, url = TEST_REDIS_URL): Promise<void> {
  const client = createClient({ url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
      if (keys.length > 0) await client.del(keys);
    }
  } finally {
    client.destroy();
  }
}

/** Waits until `condition` holds, polling every 10 ms. */
export async function eventually(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
