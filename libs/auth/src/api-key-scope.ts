import { Reflector } from '@nestjs/core';

/**
 * What an API key may do: place calls (`POST /calls`), read call records (`GET /calls…`), erase them
 * (`DELETE /calls/:sid`: apart from reading, so a dashboard's key cannot wipe records), use the console.
 */
export const API_KEY_SCOPES = ['calls', 'records', 'erase', 'console'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** One key of API_KEYS and what it may do. */
export interface ApiKeyDefinition {
  key: string;
  scopes: readonly ApiKeyScope[];
}

/**
 * The scope a route needs (on a controller or a handler, read by ApiKeyGuard). A route without it
 * accepts any valid key.
 */
export const RequireApiScope = Reflector.createDecorator<ApiKeyScope>();

/**
 * Reads one API_KEYS entry: `key` (every scope), `key:calls`, `key:records`, `key:calls+records`,
 * … An entry whose text after the last `:` is not a list of scopes is a key without scopes (keys
 * may contain `:`), so every key of the old format keeps working.
 */
export function parseApiKey(entry: string): ApiKeyDefinition & { scoped: boolean } {
  const colon = entry.lastIndexOf(':');
  if (colon > 0) {
    const scopes = entry.slice(colon + 1).split('+');
    if (scopes.length > 0 && scopes.every((scope) => (API_KEY_SCOPES as readonly string[]).includes(scope))) {
      return { key: entry.slice(0, colon), scopes: [...new Set(scopes as ApiKeyScope[])], scoped: true };
    }
  }
  return { key: entry, scopes: API_KEY_SCOPES, scoped: false };
}
