import { Module } from '@nestjs/common';
import { OpenAIRealtimeModule } from '@app/realtime';
import { TwilioApiModule } from '@app/telephony';
import { CallFactory } from './call/call.factory';
import { CallOrchestrator } from './call-orchestrator.service';
import { CallRegistry } from './call-registry.service';
import { CallEvents } from './events/call-events';
import { CallFallback } from './fallback/call-fallback.service';

@Module({
  imports: [OpenAIRealtimeModule, TwilioApiModule],
  providers: [CallFactory, CallRegistry, CallEvents, CallOrchestrator, CallFallback],
  exports: [CallOrchestrator, CallRegistry, CallEvents],
})
export class OrchestrationModule {}
