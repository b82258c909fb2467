import { BadRequestException, CallHandler, ConflictException, ExecutionContext, Injectable, NestInterceptor, UnprocessableEntityException } from '@nestjs/common';
import type { Request, Response } from 'express';
import { createHash } from 'node:crypto';
import { from, Observable, of, throwError } from 'rxjs';
import { catchError, map, mergeMap } from 'rxjs/operators';
import { IdempotencyStore } from './idempotency.store';

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
export const IDEMPOTENT_REPLAY_HEADER = 'idempotent-replayed';
const KEY_FORMAT = /^[\x21-\x7e]{1,255}$/;

/**
 * Honours an `Idempotency-Key` header on the route it decorates (`@UseInterceptors(IdempotencyInterceptor)`),
 * across every instance: the same key and body replay the first success (`Idempotent-Replayed: true`);
 * the same key with another body is refused (422); a retry while the first request still runs is
 * refused (409). Keys are scoped to the caller's credentials. A request that fails frees its key.
 * Without the header the route runs as usual.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(private readonly store: IdempotencyStore) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<Request>();
    const header = request.headers[IDEMPOTENCY_KEY_HEADER];
    if (header === undefined) return next.handle();
    if (typeof header !== 'string' || !KEY_FORMAT.test(header)) {
      throw new BadRequestException('Idempotency-Key must be 1 to 255 visible ASCII characters');
    }
    const scope = sha256(`${request.method} ${request.route?.path ?? request.path}\n${request.headers.authorization ?? ''}`).slice(0, 24);
    const scopedKey = `${scope}:${sha256(header)}`;
    const fingerprint = sha256(canonicalJson(request.body ?? null));
    return from(this.store.claim(scopedKey, fingerprint)).pipe(
      mergeMap((claim) => {
        switch (claim.outcome) {
          case 'replay':
            context.switchToHttp().getResponse<Response>().setHeader(IDEMPOTENT_REPLAY_HEADER, 'true');
            return of(claim.response);
          case 'in-progress':
            throw new ConflictException('A request with this Idempotency-Key is still being processed; retry later');
          case 'mismatch':
            throw new UnprocessableEntityException('This Idempotency-Key was already used with a different request body');
          case 'first':
            // The answer is stored before it is sent, so a retry right after it is a replay.
            return next.handle().pipe(
              mergeMap((response) => from(this.store.complete(scopedKey, claim.owner, fingerprint, response)).pipe(map(() => response))),
              catchError((error: unknown) => from(this.store.abandon(scopedKey, claim.owner)).pipe(mergeMap(() => throwError(() => error)))),
            );
        }
      }),
    );
  }
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** JSON with object keys sorted, so the same body in another key order is the same request. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value as object)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
