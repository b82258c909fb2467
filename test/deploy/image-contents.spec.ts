import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildGateway, GATEWAY_BUILD_COMMAND } from '../support/gateway-build';
import { copyOf, parseDockerfile, read, ROOT } from './dockerfile';

/**
 * What the container image holds, without a Docker engine: the runtime stage's COPY instructions say
 * which files it takes (the build stage's dist/, the production node_modules, package.json), and a
 * real `nest build` says what dist/ is.
 */

const { stages, of, argsOf } = parseDockerfile();
const stage = (name: string) => stages.find((s) => s.name === name)!;
const runtime = stages.at(-1)!;
const dockerignore = read('.dockerignore').split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('#'));
const lockfile = JSON.parse(read('package-lock.json')) as { packages: Record<string, { dev?: boolean; optional?: boolean; devOptional?: boolean }> };
const nestCli = JSON.parse(read('nest-cli.json'));
/** The gateway's build tsconfig (nest-cli.json's), as tsc reads it: options and the files it compiles. */
const tsconfigPath: string = nestCli.projects['voice-gateway'].compilerOptions.tsConfigPath;
const tsconfig = ts.getParsedCommandLineOfConfigFile(`${ROOT}${tsconfigPath}`, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })!;

/** The packages at the top of node_modules after the prod-deps stage's `npm ci --omit=…`, as the lockfile says. */
function productionPackages(): Set<string> {
  const omit = [...of(stage('prod-deps'), 'RUN').map(argsOf).join(' ').matchAll(/--omit=(\w+)/g)].map((m) => m[1]);
  const names = new Set<string>();
  for (const [path, entry] of Object.entries(lockfile.packages)) {
    const name = /^node_modules\/((?:@[^/]+\/)?[^/]+)$/.exec(path)?.[1];
    if (!name) continue;
    const omitted = (flag: string) => omit.includes(flag);
    if ((entry.dev && omitted('dev')) || (entry.optional && omitted('optional')) || (entry.devOptional && omitted('dev') && omitted('optional'))) continue;
    names.add(name);
  }
  return names;
}

/** Every file under a folder, as paths relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((path) => statSync(join(dir, path)).isFile());
}

/** The module specifiers a compiled file loads: require() and import() in CommonJS, import/export … from in ES modules. */
function specifiersOf(code: string): string[] {
  const pattern = /(?:\brequire\(\s*|\bimport\(\s*|^\s*(?:import|export)\b[^'"`;]*?\bfrom\s*|^\s*import\s*)(['"])([^'"\n]+)\1/gm;
  return [...code.matchAll(pattern)].map((match) => match[2]);
}

const packageName = (specifier: string) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');
const isBuiltin = (specifier: string) => specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0]);

describe('the container image', () => {
  it('takes exactly three things into the runtime stage: the build stage dist/, the production node_modules and package.json', () => {
    expect(of(runtime, 'ADD')).toEqual([]);
    const copies = of(runtime, 'COPY').map((c) => copyOf(argsOf(c)));
    expect(copies.map(({ from, sources, destination }) => `${from ?? 'context'}: ${sources.join(' ')} -> ${destination}`).sort()).toEqual([
      'build: /app/dist -> ./dist',
      'context: package.json -> ./',
      'prod-deps: /app/node_modules -> ./node_modules',
    ]);
    // node_modules comes from a stage that installs nothing but the locked production dependencies.
    const prodDeps = stage('prod-deps');
    expect(of(prodDeps, 'COPY').map((c) => copyOf(argsOf(c)))).toEqual([{ from: undefined, sources: ['package.json', 'package-lock.json'], destination: './' }]);
    expect(of(prodDeps, 'RUN').map(argsOf).join('\n')).toMatch(/^npm ci --omit=dev\b/);
  });

  it('ships no test tooling in node_modules: vitest, @nestjs/testing, the Nest CLI, the TypeScript compiler', () => {
    const installed = productionPackages();
    for (const tool of ['vitest', '@nestjs/testing', '@nestjs/cli', 'typescript', 'playwright-core', 'dockerfile-ast', 'unplugin-swc']) {
      expect(installed.has(tool), tool).toBe(false);
    }
    for (const dependency of Object.keys(JSON.parse(read('package.json')).dependencies)) expect(installed.has(dependency), dependency).toBe(true);
  });

  it('compiles the gateway with the nest build the tests run, from a context that holds no dist/ and no test/', () => {
    const build = stage('build');
    expect(of(build, 'RUN').map(argsOf)).toContain(`npx ${GATEWAY_BUILD_COMMAND.join(' ')}`);
    // /app/dist in the build stage is that build's output and nothing else; test helpers cannot even be compiled in.
    for (const ignored of ['dist', 'test', 'node_modules']) expect(dockerignore).toContain(ignored);
    // Everything that build reads is copied into the build stage: nest-cli.json, the tsconfig chain, every source file.
    const copied = of(build, 'COPY').flatMap((c) => copyOf(argsOf(c)).sources);
    const isCopied = (file: string) => copied.some((source) => file === source || file.startsWith(`${source}/`));
    const chain: string[] = [];
    for (let config: string | undefined = tsconfigPath; config; ) {
      chain.push(config);
      const extended = ts.readConfigFile(`${ROOT}${config}`, ts.sys.readFile).config.extends as string | undefined;
      config = extended && relative(ROOT, resolve(ROOT, dirname(config), extended));
    }
    expect(chain).toEqual(['apps/voice-gateway/tsconfig.app.json', 'tsconfig.build.json', 'tsconfig.json']);
    const sources = tsconfig.fileNames.map((file) => relative(ROOT, file));
    expect(sources.length).toBeGreaterThan(100);
    for (const file of ['nest-cli.json', ...chain, ...sources]) expect(isCopied(file), file).toBe(true);
  });

  describe('dist/, from a real nest build', () => {
    let dist: string;
    let files: string[];

    beforeAll(async () => {
      dist = await buildGateway();
      files = filesUnder(dist);
    }, 180_000);

    /** Copied as they are (the console's browser files, the simulator's voice), never loaded by Node. */
    const assetFolders = (nestCli.compilerOptions.assets as { include: string }[]).map(({ include }) =>
      relative(ROOT, resolve(ROOT, 'apps/voice-gateway/src', include.split('*')[0])),
    );
    const isAsset = (file: string) => assetFolders.some((folder) => file.startsWith(`${folder}/`));

    it('holds the gateway, its migration command and the SQLite worker', () => {
      expect(files).toContain('apps/voice-gateway/src/main.js');
      expect(files).toContain('apps/voice-gateway/src/migrate.js');
      expect(files).toContain('libs/call-records/src/store/sqlite-worker.thread.mjs');
    });

    it('holds only compiled code, its source maps and the assets nest-cli.json copies', () => {
      expect(files.filter((file) => !isAsset(file) && !/\.m?js(\.map)?$/.test(file))).toEqual([]);
    });

    it('holds no spec, no e2e spec and nothing from test/', () => {
      expect(files.filter((file) => /\.(spec|e2e-spec|contract|soak)\.m?js(\.map)?$/.test(file))).toEqual([]);
      expect(files.filter((file) => file.split('/')[0] === 'test')).toEqual([]);
    });

    it('loads only Node built-ins, its own files and the production dependencies: no vitest, no @nestjs/testing, no test support', () => {
      const installed = productionPackages();
      const builtins = new Set<string>();
      const packages = new Set<string>();
      const problems: string[] = [];
      for (const file of files.filter((f) => !isAsset(f) && /\.m?js$/.test(f))) {
        for (const specifier of specifiersOf(readFileSync(join(dist, file), 'utf8'))) {
          if (isBuiltin(specifier)) {
            builtins.add(specifier);
          } else if (specifier.startsWith('.')) {
            const target = relative(dist, resolve(dist, dirname(file), specifier));
            const exists = [target, `${target}.js`, `${target}/index.js`].some((candidate) => files.includes(candidate));
            if (!exists || target.startsWith('..')) problems.push(`${file} loads ${specifier}, which is not in dist/`);
          } else {
            packages.add(packageName(specifier));
            if (!installed.has(packageName(specifier))) problems.push(`${file} loads ${specifier}, which the production install leaves out`);
          }
        }
      }
      expect(problems).toEqual([]);
      // The scan sees both module systems: the CommonJS gateway and the ES-module SQLite worker.
      expect([...packages]).toEqual(expect.arrayContaining(['@nestjs/core', 'ws', 'pg']));
      expect([...builtins]).toEqual(expect.arrayContaining(['node:worker_threads', 'node:sqlite']));
      for (const forbidden of ['vitest', '@nestjs/testing', '@vitest/expect']) expect(packages.has(forbidden), forbidden).toBe(false);
    });

    it('is all the build writes, and where the ENTRYPOINT starts the gateway', () => {
      const outDirs = [tsconfig.options.outDir!, ...nestCli.compilerOptions.assets.map((asset: { outDir: string }) => `${ROOT}${asset.outDir}`)];
      for (const outDir of outDirs) expect(resolve(outDir)).toBe(dist);
      const entrypoint = of(runtime, 'ENTRYPOINT').map(argsOf).join(' ');
      expect(entrypoint).toContain(`"${relative(ROOT, join(dist, 'apps/voice-gateway/src/main.js'))}"`);
    });
  });
});
