import { Module } from '@nestjs/common';
import { OpenAIRealtimeModule } from '@app/realtime';
import { CallFactory } from './call/call.factory';
import { CallOrchestrator } from './call-orchestrator.service';
import { CallRegistry } from './call-registry.service';

@Module({
  imports: [OpenAIRealtimeModule],
  providers: [CallFactory, CallRegistry, CallOrchestrator],
  exports: [CallOrchestrator, CallRegistry],
})
export class OrchestrationModule {}
