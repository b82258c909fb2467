import { Inject, Injectable } from '@nestjs/common';
import { buildSessionConfig, buildSessionFallbacks, RealtimeSessionFactory } from '@app/realtime';
import type { AssistantSessionSettings } from '@app/realtime';
import type { MediaStreamStart, TwilioMediaStream } from '@app/telephony';
import type { Logger } from 'pino';
import { CallAgentFactory } from '../agent/call-agent.factory';
import { CallEvents } from '../events/call-events';
import { CallFallback } from '../fallback/call-fallback.service';
import { ORCHESTRATION_OPTIONS } from '../orchestration.module-definition';
import type { OrchestrationModuleOptions } from '../orchestration.module-definition';
import { AssistantProfiles } from '../profiles/assistant-profiles.service';
import { Call, CallSettings } from './call';
import { CallTicker } from './call-ticker';

/**
 * Makes a Call for each media stream: its settings come from the assistant profile chosen at
 * `start`, and its OpenAI side is a session that survives drops and expiry, falling back to
 * Twilio TwiML when it cannot.
 */
@Injectable()
export class CallFactory {
  constructor(
    private readonly sessions: RealtimeSessionFactory,
    private readonly events: CallEvents,
    private readonly profiles: AssistantProfiles,
    private readonly agents: CallAgentFactory,
    private readonly fallback: CallFallback,
    private readonly ticker: CallTicker,
    @Inject(ORCHESTRATION_OPTIONS) private readonly options: OrchestrationModuleOptions,
  ) {}

  create(stream: TwilioMediaStream, logger: Logger, onEnded: (call: Call) => void, callbackBaseUrl?: string): Call {
    const call: Call = new Call({
      stream,
      callbackBaseUrl,
      resolveSettings: (start, started) => this.resolveSettings(start, started),
      logger,
      events: this.events,
      onEnded,
      ticker: this.ticker,
      callerAudioMaxRate: this.options.agent.callerAudioMaxRate,
      openSession: (listener, callLogger) =>
        this.sessions.createResilient(
          listener,
          callLogger,
          async () => {
            // The softphone has no Twilio call to redirect: its call just ends.
            if (call.state === 'active' && call.origin === 'twilio') await this.fallback.takeOver(call.callSid, callLogger);
          },
          call.model,
        ),
    });
    return call;
  }

  private resolveSettings(start: MediaStreamStart, call: Call): CallSettings {
    const profile = this.profiles.resolve(start);
    const { agent, tools } = this.agents.create(call, { profile: profile.name, tools: profile.tools, parameters: profile.parameters, origin: start.origin });
    const session: AssistantSessionSettings = {
      model: profile.model ?? this.sessions.model,
      voice: profile.voice,
      instructions: profile.instructions,
      turnDetection: profile.turnDetection,
      noiseReduction: profile.noiseReduction,
      reasoningEffort: profile.reasoningEffort,
      inputTranscriptionModel: this.options.assistant.inputTranscriptionModel,
      transcriptionLanguages: profile.transcriptionLanguages,
      tools,
    };
    call.log.info({ profile: profile.name, model: session.model, tools: tools.map((t) => t.name) }, 'assistant chosen');
    return {
      profile: profile.name,
      direction: profile.direction,
      session: buildSessionConfig(session),
      sessionFallbacks: buildSessionFallbacks(session),
      greeting: profile.greeting,
      agent,
    };
  }
}
