import { BadRequestException, ConflictException, Injectable, UnprocessableEntityException } from '@nestjs/common';
import type { Request, Response } from 'express';
import { createHash } from 'node:crypto';
import { IdempotencyStore } from './idempotency.store';

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
export const IDEMPOTENT_REPLAY_HEADER = 'idempotent-replayed';
const KEY_FORMAT = /^[\x21-\x7e]{1,255}$/;

/**
 * Runs a request's work once per `Idempotency-Key` header, across every instance: the same key and
 * body replay the first success (`Idempotent-Replayed: true`); the same key with another body is
 * refused (422); a retry while the first request still runs is refused (409). Keys are scoped to
 * the route and the caller's credentials. Work that fails frees its key. Without the header the
 * work just runs. A handler calls it after its own validation, so a request it refuses never
 * touches a key (`IdempotencyInterceptor` wraps a whole route instead).
 */
@Injectable()
export class IdempotentRequests {
  constructor(private readonly store: IdempotencyStore) {}

  async run<T>(request: Request, response: Response, work: () => Promise<T>): Promise<T> {
    const header = request.headers[IDEMPOTENCY_KEY_HEADER];
    if (header === undefined) return work();
    if (typeof header !== 'string' || !KEY_FORMAT.test(header)) {
      throw new BadRequestException('Idempotency-Key must be 1 to 255 visible ASCII characters');
    }
    const scope = sha256(`${request.method} ${request.route?.path ?? request.path}\n${request.headers.authorization ?? ''}`).slice(0, 24);
    const scopedKey = `${scope}:${sha256(header)}`;
    const fingerprint = sha256(canonicalJson(request.body ?? null));
    const claim = await this.store.claim(scopedKey, fingerprint);
    switch (claim.outcome) {
      case 'replay':
        response.setHeader(IDEMPOTENT_REPLAY_HEADER, 'true');
        return claim.response as T;
      case 'in-progress':
        throw new ConflictException('A request with this Idempotency-Key is still being processed; retry later');
      case 'mismatch':
        throw new UnprocessableEntityException('This Idempotency-Key was already used with a different request body');
      case 'first':
        break;
    }
    let answer: T;
    try {
      answer = await work();
    } catch (error) {
      await this.store.abandon(scopedKey, claim.owner);
      throw error;
    }
    // The answer is stored before it is sent, so a retry right after it is a replay.
    await this.store.complete(scopedKey, claim.owner, fingerprint, answer);
    return answer;
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
