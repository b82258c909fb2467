import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { declaredVariables } from '@app/config';

describe('the configuration reference, docs/configuration.md', () => {
  it('documents every environment variable the gateway validates, once', () => {
    const readme = readFileSync(join(__dirname, '../../docs/configuration.md'), 'utf8');
    const documented = [...readme.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \|/gm)].map((m) => m[1]);
    const declared = new Set(declaredVariables());
    expect(declared.size).toBeGreaterThan(40);
    const missing = [...declared].filter((name) => !documented.includes(name));
    expect(missing).toEqual([]);
    expect(documented.filter((name, i) => documented.indexOf(name) !== i)).toEqual([]);
  });
});
