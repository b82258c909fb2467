import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENVIRONMENT_DEFAULTS } from '@app/config';
import { execForm, parseDockerfile, read, ROOT } from './dockerfile';

describe('Dockerfile', () => {
  const { stages, of, argsOf } = parseDockerfile();
  const runtime = stages.at(-1)!;

  it('parses cleanly into multiple stages, all on the Node.js 24 slim image', () => {
    expect(stages.reduce((count, stage) => count + 1 + stage.instructions.length, 0)).toBeGreaterThan(10);
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage.image).toMatch(/^node:24(\.\d+){0,2}-(bookworm|trixie)-slim(@sha256:[0-9a-f]{64})?$/);
    const names = stages.map((s) => s.name);
    for (const copy of stages.flatMap((s) => of(s, 'COPY'))) {
      const from = /--from=(\S+)/.exec(argsOf(copy))?.[1];
      if (from) expect(names).toContain(from);
    }
  });

  it('ships production dependencies only: the runtime takes node_modules from an --omit=dev install and builds nothing', () => {
    expect(of(runtime, 'RUN')).toEqual([]);
    const modulesCopy = of(runtime, 'COPY').find((c) => /node_modules/.test(argsOf(c)));
    const depsStage = stages.find((s) => s.name === /--from=(\S+)/.exec(argsOf(modulesCopy!))?.[1]);
    expect(depsStage).toBeDefined();
    expect(of(depsStage!, 'RUN').map(argsOf).join('\n')).toMatch(/npm ci\b[^\n]*--omit=dev/);
    // From the build context only package.json (for metadata); sources stay in the build stage.
    const fromContext = of(runtime, 'COPY').map(argsOf).filter((a) => !a.includes('--from='));
    expect(fromContext).toEqual(['package.json ./']);
    expect(of(runtime, 'COPY').map(argsOf)).toContain('--from=build /app/dist ./dist');
    expect(of(runtime, 'ENV').map(argsOf).join(' ')).toMatch(/NODE_ENV=production/);
  });

  it('runs as a non-root user', () => {
    const users = of(runtime, 'USER').map(argsOf);
    expect(users.length).toBeGreaterThan(0);
    const user = users.at(-1)!.split(':')[0];
    expect(['root', '0']).not.toContain(user);
    // Numeric, so Kubernetes' runAsNonRoot can verify it without runAsUser.
    expect(user).toMatch(/^[1-9]\d*$/);
  });

  it('has an exec-form HEALTHCHECK on /healthz, STOPSIGNAL SIGTERM and an exec-form entrypoint that starts the built main.js', () => {
    const [healthcheck] = of(runtime, 'HEALTHCHECK');
    expect(healthcheck).toBeDefined();
    const check = argsOf(healthcheck);
    expect(check).toMatch(/--interval=\d+s/);
    expect(check).toMatch(/--timeout=\d+s/);
    const command = execForm(check.slice(check.indexOf('CMD') + 3).trim());
    expect(command?.[0]).toBe('node');
    expect(command?.join(' ')).toContain('/healthz');

    expect(of(runtime, 'STOPSIGNAL').map(argsOf)).toEqual(['SIGTERM']);

    const entry = [...of(runtime, 'ENTRYPOINT'), ...of(runtime, 'CMD')].map((i) => execForm(argsOf(i)));
    expect(entry.length).toBeGreaterThan(0);
    for (const form of entry) expect(form).toBeDefined(); // shell form would put sh at PID 1 and swallow SIGTERM
    const startProd = JSON.parse(read('package.json')).scripts['start:prod'] as string;
    expect(entry[0]![0]).toBe('node');
    expect(entry[0]!.at(-1)).toBe(startProd.split(' ').at(-1));
    // The same Node flags as `npm run start:prod` (the image adds source-mapped stack traces).
    const flags = (args: string[]) => args.filter((a) => a.startsWith('--') && a !== '--enable-source-maps');
    expect(flags(entry[0]!)).toEqual(flags(startProd.split(' ')));
  });

  it('exposes the default PORT and bakes no secrets into the image', () => {
    expect(of(runtime, 'EXPOSE').map(argsOf)).toContain(ENVIRONMENT_DEFAULTS.production.PORT);
    const baked = stages.flatMap((s) => [...of(s, 'ENV'), ...of(s, 'ARG')]).map(argsOf).join(' ');
    expect(baked).not.toMatch(/KEY|TOKEN|SECRET|PASSWORD/i);
  });

  it('keeps secrets, git history and local artefacts out of the build context', () => {
    const ignored = read('.dockerignore').split('\n').map((l) => l.trim());
    for (const entry of ['node_modules', 'dist', '.git', '.env']) expect(ignored).toContain(entry);
    // Everything the build stage copies exists and is not ignored.
    const build = stages[0];
    for (const copy of of(build, 'COPY')) {
      const parts = argsOf(copy).split(/\s+/).filter((p) => !p.startsWith('--'));
      for (const path of parts.slice(0, -1)) {
        expect(existsSync(`${ROOT}${path}`), path).toBe(true);
        expect(ignored).not.toContain(path);
      }
    }
  });
});
