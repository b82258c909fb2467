import { Module } from '@nestjs/common';
import { ToolsModule } from '@app/tools';
import { CallAgentFactory } from './agent/call-agent.factory';
import { WarmTransfers } from './agent/warm-transfers.service';
import { CallFactory } from './call/call.factory';
import { CallTicker } from './call/call-ticker';
import { CallOrchestrator } from './call-orchestrator.service';
import { CallRegistry, LiveCalls } from './call-registry.service';
import { CallEvents } from './events/call-events';
import { CallFallback } from './fallback/call-fallback.service';
import { ConfigurableOrchestrationModule } from './orchestration.module-definition';
import { OutboundCallSlots } from './outbound/outbound-call-slots';
import { OutboundCallsController } from './outbound/outbound-calls.controller';
import { AssistantProfiles } from './profiles/assistant-profiles.service';

/**
 * The calls: each Twilio media stream becomes a Call bridged to an OpenAI Realtime session, with
 * its assistant profile and agent. Needs AuthModule, TwilioModule, OpenAIRealtimeModule, FleetModule
 * (idempotency keys and the per-key slots of `POST /calls`) and (for its rate limits)
 * ThrottlerModule registered.
 * Global: CallOrchestrator, CallRegistry, LiveCalls, CallEvents and WarmTransfers (the warm-transfer
 * callbacks TwilioModule routes here) are available to every module.
 */
@Module({
  imports: [ToolsModule],
  controllers: [OutboundCallsController],
  providers: [
    CallFactory,
    CallTicker,
    CallRegistry,
    { provide: LiveCalls, useExisting: CallRegistry },
    CallEvents,
    CallOrchestrator,
    AssistantProfiles,
    CallAgentFactory,
    OutboundCallSlots,
    CallFallback,
    WarmTransfers,
  ],
  exports: [CallOrchestrator, CallRegistry, LiveCalls, CallEvents, WarmTransfers],
})
export class OrchestrationModule extends ConfigurableOrchestrationModule {}
