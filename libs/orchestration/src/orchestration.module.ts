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
import { AssistantLookup } from './lookup/assistant-lookup';
import { AssistantProfiles } from './profiles/assistant-profiles.service';
import { AnsweringMachineRouter } from './voicemail/answering-machine-router';
import { RecordingDisclosure } from './voicemail/recording-disclosure';

/**
 * The calls: each Twilio media stream becomes a Call bridged to an OpenAI Realtime session, with
 * its assistant profile and agent. Needs AuthModule, TwilioModule, OpenAIRealtimeModule, FleetModule
 * (idempotency keys and the per-key slots of `POST /calls`) and (for its rate limits)
 * ThrottlerModule registered.
 * Global: CallOrchestrator, CallRegistry, LiveCalls, CallEvents, AnsweringMachineRouter (TwilioModule's
 * `answeringMachine`), RecordingDisclosure (its `disclosure`) and WarmTransfers (the warm-transfer
 * callbacks it routes here) are available to every module.
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
    AssistantLookup,
    CallAgentFactory,
    OutboundCallSlots,
    CallFallback,
    AnsweringMachineRouter,
    RecordingDisclosure,
    WarmTransfers,
  ],
  exports: [CallOrchestrator, CallRegistry, LiveCalls, CallEvents, AnsweringMachineRouter, RecordingDisclosure, WarmTransfers],
})
export class OrchestrationModule extends ConfigurableOrchestrationModule {}
