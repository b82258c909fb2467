import { Inject, Injectable } from '@nestjs/common';
import { buildSessionConfig, buildSessionFallbacks, RealtimeSessionFactory } from '@app/realtime';
import type { AssistantSessionSettings } from '@app/realtime';
import type { MediaStreamStart, TwilioMediaStream } from '@app/telephony';
import { ToolRegistry } from '@app/tools';
import type { Logger } from 'pino';
import { CallAgentFactory } from '../agent/call-agent.factory';
import { CallEvents } from '../events/call-events';
import { CallFallback } from '../fallback/call-fallback.service';
import { ORCHESTRATION_OPTIONS } from '../orchestration.module-definition';
import type { OrchestrationModuleOptions } from '../orchestration.module-definition';
import { AssistantLookup, lookupParameters } from '../lookup/assistant-lookup';
import type { AssistantLookupAnswer, AssistantLookupOutcome } from '../lookup/assistant-lookup';
import { AssistantProfiles } from '../profiles/assistant-profiles.service';
import type { ProfileOverride, ResolvedProfile } from '../profiles/assistant-profiles.service';
import { Call, CallSettings, PendingCallSettings } from './call';
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
    private readonly lookup: AssistantLookup,
    private readonly tools: ToolRegistry,
    @Inject(ORCHESTRATION_OPTIONS) private readonly options: OrchestrationModuleOptions,
  ) {}

  create(stream: TwilioMediaStream, logger: Logger, onEnded: (call: Call) => void): Call {
    const call: Call = new Call({
      stream,
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

  /**
   * The static profile (dialled number, or the outbound request); with the assistant lookup on,
   * the backend's answer within its timeout, the static profile otherwise.
   */
  private resolveSettings(start: MediaStreamStart, call: Call): CallSettings | PendingCallSettings {
    const profile = this.profiles.resolve(start);
    if (!this.lookup.enabled) return this.settingsOf(profile, start, call);
    return { model: profile.model ?? this.sessions.model, pending: this.lookUp(start, call, profile) };
  }

  /** Never rejects: any failure (reported as the lookup's outcome) leaves the static profile. */
  private async lookUp(start: MediaStreamStart, call: Call, staticProfile: ResolvedProfile): Promise<CallSettings> {
    let profile = staticProfile;
    try {
      const result = await this.lookup.lookUpAssistant({
        type: 'assistant.lookup',
        callSid: start.callSid,
        direction: staticProfile.direction,
        from: start.customParameters.From,
        to: start.customParameters.To,
        profile: staticProfile.name,
        customParameters: lookupParameters(start.customParameters),
      });
      let outcome: AssistantLookupOutcome = result.outcome;
      if (result.answer) {
        const override = this.overrideOf(result.answer, call);
        if (override) profile = this.profiles.resolve(start, override);
        else outcome = 'invalid';
      }
      call.log.info({ outcome, durationMs: Math.round(result.durationMs), profile: profile.name }, 'assistant lookup');
      this.events.emit('assistantLookup', call.observed, outcome, result.durationMs);
    } catch (error) {
      call.log.error({ err: error }, 'assistant lookup failed; the call runs with its static profile');
      profile = staticProfile;
    }
    return this.settingsOf(profile, start, call);
  }

  /** The answer as a profile override; undefined (with a warning) when it names an unknown profile. Unknown tools are dropped. */
  private overrideOf(answer: AssistantLookupAnswer, call: Call): ProfileOverride | undefined {
    if (answer.profile !== undefined && !this.profiles.has(answer.profile)) {
      call.log.warn({ profile: answer.profile }, 'the assistant lookup named an unknown profile; the call runs with its static profile');
      return undefined;
    }
    let tools = answer.tools;
    if (tools) {
      const unknown = tools.filter((name) => !this.tools.has(name));
      if (unknown.length > 0) {
        call.log.warn({ unknownTools: unknown }, 'the assistant lookup named tools that are not registered; they are left out');
        tools = tools.filter((name) => this.tools.has(name));
      }
    }
    return { ...answer, tools };
  }

  private settingsOf(profile: ResolvedProfile, start: MediaStreamStart, call: Call): CallSettings {
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
