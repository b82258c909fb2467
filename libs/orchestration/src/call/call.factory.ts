import { Inject, Injectable } from '@nestjs/common';
import { buildSessionConfig, buildSessionFallbacks, RealtimeSessionFactory } from '@app/realtime';
import type { AssistantSessionSettings } from '@app/realtime';
import { TwilioRestClient } from '@app/telephony';
import type { ArrivedRequest, MediaStreamStart, TwilioMediaStream } from '@app/telephony';
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
    private readonly twilio: TwilioRestClient,
    @Inject(ORCHESTRATION_OPTIONS) private readonly options: OrchestrationModuleOptions,
  ) {}

  /** `request`: the stream's upgrade request (the gateway's public URL for a recording's callback is learnt from it, as Twilio reached it). */
  create(stream: TwilioMediaStream, logger: Logger, onEnded: (call: Call) => void, request?: ArrivedRequest): Call {
    const call: Call = new Call({
      stream,
      resolveSettings: (start, started) => this.resolveSettings(start, started, request),
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

  private resolveSettings(start: MediaStreamStart, call: Call, request: ArrivedRequest | undefined): CallSettings {
    const profile = this.profiles.resolve(start);
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
    if (profile.recording.enabled && start.origin === 'twilio' && request) void this.startRecording(call, start.callSid, request);
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
