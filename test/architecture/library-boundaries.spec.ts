import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '../..');

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

const isTest = (file: string) => /\.(spec|e2e-spec|contract)\.ts$/.test(file);
const libraryFiles = sourceFiles('libs');
const libraryCode = libraryFiles.filter((file) => !isTest(file));
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');
/** Modules a file imports (static imports, side-effect imports and re-exports, including `import type`). */
const importsOf = (file: string) => [...read(file).matchAll(/^(?:import|export)\b(?:[^'";]*?\bfrom)?\s*'([^']+)'/gm)].map((match) => match[1]);

describe('library boundaries', () => {
  it('only the application reads the environment: no library imports @app/config or process.env', () => {
    expect(libraryFiles.filter((file) => importsOf(file).includes('@app/config'))).toEqual([]);
    expect(libraryCode.filter((file) => /\bprocess\.env\b/.test(read(file)))).toEqual([]);
  });

  it('only libs/telephony knows Twilio: the twilio package is imported there, by the Twilio fakes and by tests', () => {
    const twilioUsers = [...libraryCode, ...sourceFiles('apps').filter((file) => !isTest(file))].filter((file) => importsOf(file).includes('twilio'));
    expect(twilioUsers.filter((file) => !file.startsWith('libs/telephony/') && !file.startsWith('libs/simulators/'))).toEqual([]);
  });

  it('the realtime library does not depend on the simulators (the application picks the embedded one)', () => {
    expect(sourceFiles('libs/realtime').filter((file) => importsOf(file).includes('@app/simulators'))).toEqual([]);
  });

  it('simulators are test doubles: no library but the simulators imports them outside tests', () => {
    const users = libraryCode.filter((file) => !file.startsWith('libs/simulators/') && importsOf(file).includes('@app/simulators'));
    expect(users).toEqual([]);
  });

  it('every library index exports named, intended symbols (no export *)', () => {
    const indexes = readdirSync(join(ROOT, 'libs')).map((lib) => join('libs', lib, 'src', 'index.ts'));
    expect(indexes.length).toBeGreaterThan(8);
    for (const index of indexes) expect(read(index), relative(ROOT, index)).not.toMatch(/export \*/);
    expect(read('config/index.ts')).not.toMatch(/export \*/);
  });
});
