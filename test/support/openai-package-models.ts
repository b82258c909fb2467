import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Model facts straight from the `openai` package's Realtime types (the doc comments and unions of
 * `resources/realtime/realtime.d.ts`), so tests notice when a package upgrade deprecates a model.
 */
const source = () => readFileSync(join(__dirname, '../../node_modules/openai/resources/realtime/realtime.d.ts'), 'utf8');

/** Every model id named as deprecated ("Deprecated values: … Announced shutdown date: …"), with its date. */
export function deprecatedModels(): Map<string, string> {
  const deprecated = new Map<string, string>();
  const text = source().replace(/\n[\s*]*/g, ' ');
  for (const block of text.matchAll(/Deprecated values:\s*-\s*(.*?)Announced shutdown date:\s*(\d{4}-\d{2}-\d{2})/g)) {
    for (const id of block[1].matchAll(/"([^"]+)"/g)) deprecated.set(id[1], block[2]);
  }
  return deprecated;
}

/** The model ids of a Realtime session (`RealtimeSessionCreateRequest.model`). */
export function realtimeSessionModels(): string[] {
  const text = source();
  const start = text.indexOf('export interface RealtimeSessionCreateRequest {');
  const union = /model\?: \(string & \{\}\) \| ([^;]+);/.exec(text.slice(start));
  if (!union) throw new Error('the openai package no longer declares RealtimeSessionCreateRequest.model as a union');
  return [...union[1].matchAll(/'([^']+)'/g)].map((m) => m[1]);
}
