import { Injectable } from '@nestjs/common';
import type { OnModuleInit } from '@nestjs/common';
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
