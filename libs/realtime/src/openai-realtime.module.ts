import { Module } from '@nestjs/common';
import { RealtimeEndpoint } from './realtime-endpoint';
import { RealtimeSessionFactory } from './realtime-session.factory';

/** The OpenAI Realtime side: a factory for per-call sessions and the endpoint they connect to. */
@Module({
  providers: [RealtimeEndpoint, RealtimeSessionFactory],
  exports: [RealtimeSessionFactory, RealtimeEndpoint],
})
export class OpenAIRealtimeModule {}
