import { CanActivate, ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import type { Request } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { AUTH_OPTIONS } from './auth.module-definition';
import type { AuthModuleOptions } from './auth.module-definition';

/**
 * Protects the gateway's own API: `Authorization: Bearer <key>` must match one of the API keys.
 * Keys are compared as SHA-256 digests in constant time. With no keys configured, everything is refused.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly keyDigests: Buffer[];

  constructor(@Inject(AUTH_OPTIONS) options: AuthModuleOptions) {
    this.keyDigests = options.apiKeys.map(digest);
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<Request>();
    if (this.isValid(request.headers.authorization)) return true;
    throw new UnauthorizedException('A valid API key is required (Authorization: Bearer <key>)');
  }

  /** Also usable outside HTTP handlers (e.g. a WebSocket upgrade). */
  isValid(authorization: string | undefined): boolean {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (!match) return false;
    const presented = digest(match[1]);
    let valid = false;
    for (const key of this.keyDigests) valid = timingSafeEqual(presented, key) || valid;
    return valid;
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
