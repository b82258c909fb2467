import { Module } from '@nestjs/common';
import { OpenAIRealtimeModule } from '@app/realtime';
import { CallFactory } from './call/call.factory';
import { CallOrchestrator } from './call-orchestrator.service';
import { CallRegistry } from './call-registry.service';
import { CallEvents } from './events/call-events';

@Module({
  imports: [OpenAIRealtimeModule],
  providers: [CallFactory, CallRegistry, CallEvents, CallOrchestrator],
  exports: [CallOrchestrator, CallRegistry, CallEvents],
})
export class OrchestrationModule {}
