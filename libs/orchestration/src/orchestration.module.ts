import { Module } from '@nestjs/common';
import { AuthModule } from '@app/auth';
import { OpenAIRealtimeModule } from '@app/realtime';
import { TwilioApiModule } from '@app/telephony';
import { ToolsModule } from '@app/tools';
import { CallAgentFactory } from './agent/call-agent.factory';
import { CallFactory } from './call/call.factory';
import { CallOrchestrator } from './call-orchestrator.service';
import { CallRegistry } from './call-registry.service';
import { CallEvents } from './events/call-events';
import { OutboundCallRegistry } from './outbound/outbound-call-registry.service';
import { OutboundCallsController } from './outbound/outbound-calls.controller';
import { AssistantProfiles } from './profiles/assistant-profiles.service';
import { CallFallback } from './fallback/call-fallback.service';

@Module({
  imports: [OpenAIRealtimeModule, TwilioApiModule, AuthModule, ToolsModule],
  controllers: [OutboundCallsController],
  providers: [
    CallFactory,
    CallRegistry,
    CallEvents,
    CallOrchestrator,
    AssistantProfiles,
    CallAgentFactory,
    OutboundCallRegistry,
    CallFallback,
  ],
  exports: [CallOrchestrator, CallRegistry, CallEvents],
})
export class OrchestrationModule {}
