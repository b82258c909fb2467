// Runs a call-simulator entry point (call | demo) from dist, building first when dist is missing
// or older than any source file. Used by `npm run call` and `npm run demo`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [name, ...args] = process.argv.slice(2);
const entry = join(root, 'dist/apps/call-simulator/apps/call-simulator/src', `${name}.js`);
const gatewayEntry = join(root, 'dist/apps/voice-gateway/apps/voice-gateway/src/main.js');

function newestSource(dir) {
  let newest = 0;
  for (const item of readdirSync(dir, { withFileTypes: true })) {
    if (item.name === 'node_modules') continue;
    const path = join(dir, item.name);
    newest = Math.max(newest, item.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

const configs = ['package-lock.json', 'nest-cli.json', 'tsconfig.json', 'tsconfig.build.json'];
const sources = Math.max(...['apps', 'libs', 'config'].map((d) => newestSource(join(root, d))), ...configs.map((f) => statSync(join(root, f)).mtimeMs));
const built = [entry, gatewayEntry].every((f) => existsSync(f) && statSync(f).mtimeMs >= sources);
if (!built) {
  process.stdout.write('Building (dist is missing or out of date)…\n');
  const build = spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
const run = spawnSync(process.execPath, [entry, ...args], { cwd: root, stdio: 'inherit' });
process.exit(run.status ?? 1);
