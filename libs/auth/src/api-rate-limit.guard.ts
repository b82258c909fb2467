import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { ThrottlerOptions } from '@nestjs/throttler';
import { apiKeyIdOf } from './api-key.guard';

/** The named limits of the gateway's API (ThrottlerModule throttlers; see apiRateLimits). */
export const API_RATE_LIMITS = {
  /** Every request to a route guarded by ApiRateLimitGuard, per API key. */
  api: 'api',
  /** Outbound calls placed, per API key: only on routes marked `@CountsAsOutboundCall()`. */
  outboundCalls: 'outbound-calls',
} as const;

/** Marks a route whose requests count against the per-key outbound-call limit (`POST /calls`). */
export const CountsAsOutboundCall = Reflector.createDecorator<void, boolean>({ transform: () => true });

const reflector = new Reflector();

/** The throttlers to give `ThrottlerModule.forRoot({ throttlers })` (both per minute, per API key). */
export function apiRateLimits(limits: { requestsPerMinute: number; outboundCallsPerMinute: number }): ThrottlerOptions[] {
  return [
    { name: API_RATE_LIMITS.api, ttl: 60_000, limit: limits.requestsPerMinute },
    {
      name: API_RATE_LIMITS.outboundCalls,
      ttl: 60_000,
      limit: limits.outboundCallsPerMinute,
      skipIf: (context: ExecutionContext) => !reflector.getAllAndOverride(CountsAsOutboundCall, [context.getHandler(), context.getClass()]),
    },
  ];
}

/**
 * Rate limits of the gateway's own API (`@nestjs/throttler`), counted per API key: put it after
 * ApiKeyGuard (`@UseGuards(ApiKeyGuard, ApiRateLimitGuard)`), which names the key. Requests
 * without a key (console tokens where none is required) count per client address. A refused
 * request gets 429 with `Retry-After`.
 */
@Injectable()
export class ApiRateLimitGuard extends ThrottlerGuard {
  protected override async getTracker(request: Record<string, any>): Promise<string> {
    const keyId = apiKeyIdOf(request);
    return keyId ? `key:${keyId}` : `ip:${await super.getTracker(request)}`;
  }
}
