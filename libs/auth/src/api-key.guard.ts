import { CanActivate, ExecutionContext, ForbiddenException, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { API_KEY_SCOPES, ApiKeyScope, RequireApiScope } from './api-key-scope';
import { AUTH_OPTIONS } from './auth.module-definition';
import type { AuthModuleOptions } from './auth.module-definition';

/** Set on a request the guard let through: a stable, non-secret id of the key (for rate limits and logs). */
export const API_KEY_ID = Symbol('apiKeyId');

/** The id of the API key that authenticated a request (see ApiKeyGuard), if any. */
export function apiKeyIdOf(request: object): string | undefined {
  return (request as { [API_KEY_ID]?: string })[API_KEY_ID];
}

interface KnownKey {
  digest: Buffer;
  scopes: ReadonlySet<ApiKeyScope>;
  /** The first 12 hex digits of the key's SHA-256: names the key without revealing it. */
  id: string;
}

/**
 * Protects the gateway's own API: `Authorization: Bearer <key>` must match one of the API keys, and
 * the key must have the scope the route declares (`@RequireApiScope('calls')`). Keys are compared
 * as SHA-256 digests in constant time. With no keys configured, everything is refused (401); a
 * valid key without the route's scope gets 403.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly keys: KnownKey[];

  constructor(
    @Inject(AUTH_OPTIONS) options: AuthModuleOptions,
    private readonly reflector: Reflector,
  ) {
    this.keys = options.apiKeys.map((entry) => {
      const { key, scopes } = typeof entry === 'string' ? { key: entry, scopes: API_KEY_SCOPES } : entry;
      const keyDigest = digest(key);
      return { digest: keyDigest, scopes: new Set(scopes), id: keyDigest.subarray(0, 6).toString('hex') };
    });
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<Request>();
    const scope = this.reflector.getAllAndOverride(RequireApiScope, [context.getHandler(), context.getClass()]);
    const key = this.find(request.headers.authorization);
    if (!key) throw new UnauthorizedException('A valid API key is required (Authorization: Bearer <key>)');
    if (scope && !key.scopes.has(scope)) throw new ForbiddenException(`This API key does not have the "${scope}" scope`);
    (request as unknown as { [API_KEY_ID]?: string })[API_KEY_ID] = key.id;
    return true;
  }

  /** Also usable outside HTTP handlers (e.g. console tokens): a valid key, with `scope` when given. */
  isValid(authorization: string | undefined, scope?: ApiKeyScope): boolean {
    const key = this.find(authorization);
    return key !== undefined && (scope === undefined || key.scopes.has(scope));
  }

  private find(authorization: string | undefined): KnownKey | undefined {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (!match) return undefined;
    const presented = digest(match[1]);
    let found: KnownKey | undefined;
    // Every key is compared, so the time taken says nothing about which one matched.
    for (const key of this.keys) if (timingSafeEqual(presented, key.digest)) found = key;
    return found;
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
