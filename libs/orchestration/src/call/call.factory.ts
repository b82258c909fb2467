import { Inject, Injectable } from '@nestjs/common';
import { buildSessionConfig, buildSessionFallbacks, RealtimeSessionFactory } from '@app/realtime';
import type { AssistantSessionSettings } from '@app/realtime';
import { TwilioRestClient } from '@app/telephony';
import type { ArrivedRequest, MediaStreamStart, TwilioMediaStream } from '@app/telephony';
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
    private readonly twilio: TwilioRestClient,
    @Inject(ORCHESTRATION_OPTIONS) private readonly options: OrchestrationModuleOptions,
  ) {}

  /** `request`: the stream's upgrade request (the gateway's public URL for recording and warm-transfer callbacks is learnt from it, as Twilio reached it). */
  create(stream: TwilioMediaStream, logger: Logger, onEnded: (call: Call) => void, request?: ArrivedRequest): Call {
    // With the assistant lookup on: a caller who hangs up while it runs cancels it.
    const hungUp = this.lookup.enabled ? new AbortController() : undefined;
    const call: Call = new Call({
      stream,
      callbackBaseUrl: request ? this.twilio.publicBaseUrl(request) : undefined,
      resolveSettings: (start, started) => this.resolveSettings(start, started, request, hungUp?.signal),
      logger,
      events: this.events,
      onEnded: (ended) => {
        hungUp?.abort();
        onEnded(ended);
      },
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
  private resolveSettings(start: MediaStreamStart, call: Call, request: ArrivedRequest | undefined, hungUp: AbortSignal | undefined): CallSettings | PendingCallSettings {
    const profile = this.profiles.resolve(start);
    if (!this.lookup.enabled) return this.settingsOf(profile, start, call, request);
    return { model: profile.model ?? this.sessions.model, pending: this.lookUp(start, call, profile, request, hungUp) };
  }

  /** Never rejects: any failure (reported as the lookup's outcome) leaves the static profile. */
  private async lookUp(
    start: MediaStreamStart,
    call: Call,
    staticProfile: ResolvedProfile,
    request: ArrivedRequest | undefined,
    hungUp: AbortSignal | undefined,
  ): Promise<CallSettings> {
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
      }, hungUp);
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
    // Decided on the static profile before the lookup: the recording (and its disclosure, said before
    // the stream) and whether Twilio was asked to detect answering machines when the call was placed.
    const voicemail = { ...profile.voicemail, detection: staticProfile.voicemail.detection };
    return this.settingsOf({ ...profile, recording: staticProfile.recording, voicemail }, start, call, request);
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

  private settingsOf(profile: ResolvedProfile, start: MediaStreamStart, call: Call, request: ArrivedRequest | undefined): CallSettings {
    const { agent, tools, voicemail } = this.agents.create(call, {
      profile: profile.name,
      tools: profile.tools,
      parameters: profile.parameters,
      origin: start.origin,
      direction: profile.direction,
      voicemail: profile.voicemail,
      voicemailGreetingHoldMs: this.profiles.voicemailGreetingHoldMs,
    });
    // After the stream's token check (a `start` reaches the call only once verified), and after any disclosure (said before the stream).
    if (profile.recording.enabled && start.origin === 'twilio' && request && call.state === 'active') void this.startRecording(call, start.callSid, request);
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
      voicemail,
    };
  }

  /** A dual-channel recording of the call through Twilio's REST API; a failure is logged and counted, and the call goes on. */
  private async startRecording(call: Call, callSid: string, request: ArrivedRequest): Promise<void> {
    try {
      const recording = await this.twilio.startRecording(callSid, request);
      call.log.info({ recordingSid: recording.sid }, 'call recording started');
      this.events.emit('recordingStarted', call.observed, recording);
    } catch (error) {
      const message = (error as Error).message;
      call.log.warn({ err: { message } }, 'the call recording could not be started; the call goes on unrecorded');
      this.events.emit('recordingFailed', call.observed, message);
    }
  }
}
