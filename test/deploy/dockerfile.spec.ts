import 'reflect-metadata';
import { resolve } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { DockerfileParser, Instruction } from 'dockerfile-ast';
import { describe, expect, it } from 'vitest';
import { ENVIRONMENT_DEFAULTS } from '@app/config';

const ROOT = resolve(__dirname, '../..') + '/';
const read = (path: string) => readFileSync(`${ROOT}${path}`, 'utf8');

interface Stage {
  name: string | null;
  image: string;
  instructions: Instruction[];
}

/** Splits the parsed Dockerfile into its stages (each FROM and what follows it). */
function stagesOf(source: string): Stage[] {
  const stages: Stage[] = [];
  for (const instruction of DockerfileParser.parse(source).getInstructions()) {
    const keyword = instruction.getKeyword();
    if (keyword === 'FROM') {
      const args = instruction.getArguments().map((a) => a.getValue());
      const asIndex = args.findIndex((a) => a.toUpperCase() === 'AS');
      stages.push({ image: args.find((a) => !a.startsWith('--'))!, name: asIndex >= 0 ? args[asIndex + 1] : null, instructions: [] });
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return stages;
}

const of = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.getKeyword() === keyword);
const LINES = readFileSync(`${ROOT}Dockerfile`, 'utf8').split('\n');
/** The instruction's full argument text, flags included, continuation lines joined. */
function argsOf(instruction: Instruction): string {
  const { start, end } = instruction.getRange();
  const text = LINES.slice(start.line, end.line + 1).join('\n').replace(/\\\n\s*/g, ' ');
  return text.slice(text.search(/\s/) + 1).trim();
}
/** The JSON array of an exec-form instruction, or undefined for shell form. */
function execForm(text: string): string[] | undefined {
  try {
    const value = JSON.parse(text);
    return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : undefined;
  } catch {
    return undefined;
  }
}

describe('Dockerfile', () => {
  const source = read('Dockerfile');
  const stages = stagesOf(source);
  const runtime = stages.at(-1)!;

  it('parses cleanly into multiple stages, all on the Node.js 24 slim image', () => {
    expect(DockerfileParser.parse(source).getInstructions().length).toBeGreaterThan(10);
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
