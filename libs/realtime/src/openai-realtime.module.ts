import { Module } from '@nestjs/common';
import { OpenAIModelLifecycle } from './model-lifecycle';
import { ConfigurableOpenAIRealtimeModule } from './openai-realtime.module-definition';
import { RealtimeSessionFactory } from './realtime-session.factory';

/**
 * The OpenAI Realtime side: a factory for per-call sessions, and the start-up check of the models'
 * announced shutdowns. Registered once by the application with `OpenAIRealtimeModule.forRoot(options)`
 * (or `forRootAsync`, e.g. to point it at a simulator started first).
 */
@Module({
  providers: [RealtimeSessionFactory, OpenAIModelLifecycle],
  exports: [RealtimeSessionFactory, OpenAIModelLifecycle],
})
export class OpenAIRealtimeModule extends ConfigurableOpenAIRealtimeModule {}
