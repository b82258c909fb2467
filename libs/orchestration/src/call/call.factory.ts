import { Inject, Injectable } from '@nestjs/common';
import { assistantConfig, openAiConfig, resilienceConfig } from '@app/config';
import type { AssistantConfig, OpenAiConfig, ResilienceConfig } from '@app/config';
import { buildSessionConfig, RealtimeSessionFactory, ResilientRealtimeSession } from '@app/realtime';
import type { TwilioMediaStream } from '@app/telephony';
import type { Logger } from 'pino';
import { CallEvents } from '../events/call-events';
import { CallFallback } from '../fallback/call-fallback.service';
import { Call, CallSettings } from './call';

/** Makes a Call for each media stream, with its OpenAI session and settings from configuration. */
@Injectable()
export class CallFactory {
  constructor(
    private readonly sessions: RealtimeSessionFactory,
    private readonly events: CallEvents,
    private readonly fallback: CallFallback,
    @Inject(openAiConfig.KEY) private readonly openAi: OpenAiConfig,
    @Inject(assistantConfig.KEY) private readonly assistant: AssistantConfig,
    @Inject(resilienceConfig.KEY) private readonly resilience: ResilienceConfig,
  ) {}

  create(stream: TwilioMediaStream, logger: Logger, onEnded: (call: Call) => void): Call {
    const settings: CallSettings = {
      session: buildSessionConfig({
        model: this.openAi.model,
        voice: this.assistant.voice,
        instructions: this.assistant.instructions,
        turnDetection: this.assistant.turnDetection,
        inputTranscriptionModel: this.assistant.inputTranscriptionModel,
      }),
      greeting: this.assistant.greeting,
    };
    const sessionOptions = { model: this.openAi.model, preReadyBufferMs: this.assistant.preReadyBufferMs };
    const call: Call = new Call({
      stream,
      settings,
      logger,
      events: this.events,
      onEnded,
      openSession: (listener, callLogger) =>
        new ResilientRealtimeSession(
          {
            connectTimeoutMs: this.resilience.openAiConnectTimeoutMs,
            connectAttempts: this.resilience.openAiConnectAttempts,
            maxReconnects: this.resilience.openAiMaxReconnectsPerCall,
            holdAudioMs: this.assistant.preReadyBufferMs,
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
}
