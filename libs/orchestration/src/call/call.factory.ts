import { Inject, Injectable } from '@nestjs/common';
import { assistantConfig, openAiConfig } from '@app/config';
import type { AssistantConfig, OpenAiConfig } from '@app/config';
import { buildSessionConfig, RealtimeSessionFactory } from '@app/realtime';
import type { TwilioMediaStream } from '@app/telephony';
import type { Logger } from 'pino';
import { CallEvents } from '../events/call-events';
import { Call, CallSettings } from './call';

/** Makes a Call for each media stream, with its OpenAI session and settings from configuration. */
@Injectable()
export class CallFactory {
  constructor(
    private readonly sessions: RealtimeSessionFactory,
    private readonly events: CallEvents,
    @Inject(openAiConfig.KEY) private readonly openAi: OpenAiConfig,
    @Inject(assistantConfig.KEY) private readonly assistant: AssistantConfig,
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
    return new Call({
      stream,
      settings,
      logger,
      events: this.events,
      onEnded,
      openSession: (listener, callLogger) =>
        this.sessions.create({ model: this.openAi.model, preReadyBufferMs: this.assistant.preReadyBufferMs }, listener, callLogger),
    });
  }
}
