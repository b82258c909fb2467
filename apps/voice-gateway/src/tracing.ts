import { Global, Injectable, Module } from '@nestjs/common';
import type { OnModuleInit } from '@nestjs/common';
import { OUTBOX_DELIVERY_TRACER, OUTBOX_JOB_PREFIX } from '@app/call-records';
import type { OutboxDeliveryTracer } from '@app/call-records';
import { CallEvents } from '@app/orchestration';
import { CallTracer, GatewayTracing } from '@app/tracing';

/** Subscribes the call tracer to call events when tracing is on; off, calls pay nothing for it. */
@Injectable()
export class CallTracing implements OnModuleInit {
  constructor(
    private readonly tracing: GatewayTracing,
    private readonly events: CallEvents,
  ) {}

  onModuleInit(): void {
    if (this.tracing.enabled) this.events.subscribe(new CallTracer(this.tracing));
  }
}

/** One `webhook.delivery` span per outbox attempt (event type, attempt, receiver's host and status; never the body). */
export function outboxDeliveryTracer(tracing: GatewayTracing): OutboxDeliveryTracer | undefined {
  if (!tracing.enabled) return undefined;
  return {
    attemptStarted({ type, attempt, destination }) {
      // Jobs (the post-call analysis) travel through the same outbox; their span names the job.
      const job = destination.startsWith(OUTBOX_JOB_PREFIX) ? destination.slice(OUTBOX_JOB_PREFIX.length) : undefined;
      const span =
        job === undefined
          ? tracing.startSpan('webhook.delivery', {
              kind: 'client',
              attributes: { 'webhook.event': type, 'webhook.attempt': attempt, 'server.address': hostOf(destination), 'http.request.method': 'POST' },
            })
          : tracing.startSpan('outbox.job', { attributes: { 'job.name': job, 'job.attempt': attempt } });
      return ({ result, status }) => {
        if (status !== undefined) span.setAttribute('http.response.status_code', status);
        span.setAttribute('webhook.result', result);
        if (result !== 'delivered') span.setError(status === undefined ? 'no answer' : `HTTP ${status}`);
        span.end();
      };
    },
  };
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'invalid';
  }
}

/** The application's tracing hooks into libraries that do not know the tracer (the outbox's port). */
@Global()
@Module({
  providers: [CallTracing, { provide: OUTBOX_DELIVERY_TRACER, inject: [GatewayTracing], useFactory: outboxDeliveryTracer }],
  exports: [OUTBOX_DELIVERY_TRACER],
})
export class TracingWiringModule {}
