import { Client } from 'pg';
import { randomBytes } from 'node:crypto';

/** The PostgreSQL server the tests use (these machines run one; `.ci/run` starts it if needed). */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A schema name no other test run uses, so parallel runs never share tables. */
export function uniqueSchema(prefix = 'call_records_test'): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

/** Fails (never skips) with a clear message when the server is not there. */
export async function requirePostgres(url = TEST_DATABASE_URL): Promise<void> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    throw new Error(
      `PostgreSQL is required by these tests but is not reachable at ${url.replace(/\/\/[^@]*@/, '//')} ` +
        `(${error instanceof Error ? error.message : String(error)}). Start it (.ci/run does: ` +
        `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) or set TEST_DATABASE_URL.`,
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function dropSchema(schema: string, url = TEST_DATABASE_URL): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}
