import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';

/** Where `.env` files are read: a developer's machine (`local`, `development`), never a deployment or the tests. */
const DOT_ENV_ENVIRONMENTS = new Set(['local', 'development']);

/**
 * The environment with the `.env` file of `directory` (the working directory by default) folded
 * in, when NODE_ENV (default `local`) is `local` or `development`: the file's variables fill in
 * what the real environment does not set, so real environment variables always win. NODE_ENV is
 * never taken from the file. In `production` and `test` the file is not read at all.
 */
export function withDotEnv(env: NodeJS.ProcessEnv = process.env, directory = process.cwd()): NodeJS.ProcessEnv {
  if (!DOT_ENV_ENVIRONMENTS.has(env.NODE_ENV || 'local')) return env;
  const file = join(directory, '.env');
  if (!existsSync(file)) return env;
  const { NODE_ENV: _ignored, ...fromFile } = parseEnv(readFileSync(file, 'utf8'));
  return { ...fromFile, ...env };
}
