import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');

/** The command the Dockerfile's build stage runs (as `npx nest build voice-gateway`). */
export const GATEWAY_BUILD_COMMAND = ['nest', 'build', 'voice-gateway'] as const;
/** Where that build writes; built alone, as in the image, it is all of `dist/`. */
export const GATEWAY_DIST = join(ROOT, 'dist/apps/voice-gateway');
export const GATEWAY_MAIN = join(GATEWAY_DIST, 'apps/voice-gateway/src/main.js');

/** Everything the build reads: a change to any of them makes the build out of date. */
const BUILD_INPUTS = ['apps', 'libs', 'config', 'nest-cli.json', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];
const LOCK = join(ROOT, 'tmp/gateway-build.lock');
const STALE_LOCK_MS = 5 * 60_000;

/**
 * The deployable gateway, compiled by the real `nest build` into `dist/`: built when it is missing
 * or older than any of its inputs, once however many test files (processes) ask at the same time;
 * the others wait and reuse it. The build deletes its output folder first, so two at once would
 * pull files from under each other.
 */
export async function buildGateway(): Promise<string> {
  await withLock(async () => {
    if (!isUpToDate()) await nestBuild();
  });
  return GATEWAY_DIST;
}

function isUpToDate(): boolean {
  if (!existsSync(GATEWAY_MAIN)) return false;
  const built = statSync(GATEWAY_MAIN).mtimeMs;
  return BUILD_INPUTS.every((input) => newestChange(join(ROOT, input)) <= built);
}

/** The latest modification under a path; folders count too, so a deleted file is a change. */
function newestChange(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) {
    if (entry !== 'node_modules') newest = Math.max(newest, newestChange(join(path, entry)));
  }
  return newest;
}

async function nestBuild(): Promise<void> {
  const [, ...args] = GATEWAY_BUILD_COMMAND;
  const child = spawn(process.execPath, [join(ROOT, 'node_modules/@nestjs/cli/bin/nest.js'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk));
  const code = await new Promise<number | null>((done, fail) => child.on('error', fail).on('close', done));
  if (code !== 0 || !existsSync(GATEWAY_MAIN)) throw new Error(`${GATEWAY_BUILD_COMMAND.join(' ')} failed (exit ${code}):\n${output}`);
}

/** A lock folder (mkdir is atomic) shared by the test processes of one checkout. */
async function withLock(work: () => Promise<void>): Promise<void> {
  mkdirSync(join(LOCK, '..'), { recursive: true });
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // Left behind by a killed run: nobody builds for that long.
      const lock = statSync(LOCK, { throwIfNoEntry: false });
      if (lock && Date.now() - lock.mtimeMs > STALE_LOCK_MS) rmSync(LOCK, { recursive: true, force: true });
      await new Promise((wake) => setTimeout(wake, 100));
    }
  }
  try {
    await work();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}
