import { Module } from '@nestjs/common';
import { ConfigurableOpenAIRealtimeModule } from './openai-realtime.module-definition';
import { RealtimeSessionFactory } from './realtime-session.factory';

/**
 * The OpenAI Realtime side: a factory for per-call sessions. Registered once by the application
 * with `OpenAIRealtimeModule.forRoot(options)` (or `forRootAsync`, e.g. to point it at a simulator
 * started first).
 */
@Module({
  providers: [RealtimeSessionFactory],
  exports: [RealtimeSessionFactory],
})
export class OpenAIRealtimeModule extends ConfigurableOpenAIRealtimeModule {}
