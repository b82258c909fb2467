import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request, Response } from 'express';
import { from, lastValueFrom, Observable } from 'rxjs';
import { IdempotentRequests } from './idempotent-requests.service';

/**
 * Honours an `Idempotency-Key` header on the route it decorates (`@UseInterceptors(IdempotencyInterceptor)`),
 * across every instance (see IdempotentRequests): the whole route, its validation pipes included,
 * runs inside the key. A handler that must refuse bad requests before a key is taken calls
 * IdempotentRequests itself, after its validation.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(private readonly requests: IdempotentRequests) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    return from(this.requests.run(http.getRequest<Request>(), http.getResponse<Response>(), () => lastValueFrom(next.handle())));
  }
}
