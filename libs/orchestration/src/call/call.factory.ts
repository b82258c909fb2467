import { Inject, Injectable } from '@nestjs/common';
import { assistantConfig, openAiConfig, resilienceConfig } from '@app/config';
import type { AssistantConfig, OpenAiConfig, ResilienceConfig } from '@app/config';
import { buildSessionConfig, RealtimeSessionFactory, ResilientRealtimeSession } from '@app/realtime';
import type { MediaStreamStart, TwilioMediaStream } from '@app/telephony';
import type { Logger } from 'pino';
import { CallAgentFactory } from '../agent/call-agent.factory';
import { CallEvents } from '../events/call-events';
import { CallFallback } from '../fallback/call-fallback.service';
import { AssistantProfiles } from '../profiles/assistant-profiles.service';
import { Call, CallSettings } from './call';

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
    @Inject(openAiConfig.KEY) private readonly openAi: OpenAiConfig,
    @Inject(assistantConfig.KEY) private readonly assistant: AssistantConfig,
    @Inject(resilienceConfig.KEY) private readonly resilience: ResilienceConfig,
  ) {}

  create(stream: TwilioMediaStream, logger: Logger, onEnded: (call: Call) => void): Call {
    const sessionOptions = { model: this.openAi.model };
    const call: Call = new Call({
      stream,
      resolveSettings: (start, started) => this.resolveSettings(start, started),
      logger,
      events: this.events,
      onEnded,
      openSession: (listener, callLogger) =>
        new ResilientRealtimeSession(
          {
            connectTimeoutMs: this.resilience.openAiConnectTimeoutMs,
            connectAttempts: this.resilience.openAiConnectAttempts,
            maxReconnects: this.resilience.openAiMaxReconnectsPerCall,
            preReadyBufferMs: this.assistant.preReadyBufferMs,
          },
          {
            open: (sessionListener) => this.sessions.create(sessionOptions, sessionListener, callLogger),
            giveUp: async () => {
              if (call.state === 'active') await this.fallback.takeOver(call.callSid, callLogger);
            },
          },
          listener,
          callLogger,
        ),
    });
    return call;
  }

  private resolveSettings(start: MediaStreamStart, call: Call): CallSettings {
    const profile = this.profiles.resolve(start);
    const { agent, tools } = this.agents.create(call, { profile: profile.name, tools: profile.tools, parameters: profile.parameters });
    call.log.info({ profile: profile.name, tools: tools.map((t) => t.name) }, 'assistant chosen');
    return {
      profile: profile.name,
      direction: profile.direction,
      session: buildSessionConfig({
        model: this.openAi.model,
        voice: profile.voice,
        instructions: profile.instructions,
        turnDetection: profile.turnDetection,
        inputTranscriptionModel: this.assistant.inputTranscriptionModel,
        tools,
      }),
      greeting: profile.greeting,
      agent,
    };
  }
}
