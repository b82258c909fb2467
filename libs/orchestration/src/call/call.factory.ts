import { Inject, Injectable } from '@nestjs/common';
import { assistantConfig, openAiConfig } from '@app/config';
import type { AssistantConfig, OpenAiConfig } from '@app/config';
import { buildSessionConfig, RealtimeSessionFactory } from '@app/realtime';
import type { MediaStreamStart, TwilioMediaStream } from '@app/telephony';
import type { Logger } from 'pino';
import { CallAbilitiesFactory } from '../agent/call-abilities.factory';
import { CallEvents } from '../events/call-events';
import { AssistantProfiles } from '../profiles/assistant-profiles.service';
import { Call, CallSettings } from './call';

/** Makes a Call for each media stream; its settings come from the assistant profile chosen at `start`. */
@Injectable()
export class CallFactory {
  constructor(
    private readonly sessions: RealtimeSessionFactory,
    private readonly events: CallEvents,
    private readonly profiles: AssistantProfiles,
    private readonly abilities: CallAbilitiesFactory,
    @Inject(openAiConfig.KEY) private readonly openAi: OpenAiConfig,
    @Inject(assistantConfig.KEY) private readonly assistant: AssistantConfig,
  ) {}

  create(stream: TwilioMediaStream, logger: Logger, onEnded: (call: Call) => void): Call {
    return new Call({
      stream,
      resolveSettings: (start, call) => this.resolveSettings(start, call),
      logger,
      events: this.events,
      onEnded,
      openSession: (listener, callLogger) =>
        this.sessions.create({ model: this.openAi.model, preReadyBufferMs: this.assistant.preReadyBufferMs }, listener, callLogger),
    });
  }

  private resolveSettings(start: MediaStreamStart, call: Call): CallSettings {
    const profile = this.profiles.resolve(start);
    const { agent, tools } = this.abilities.create(call, { profile: profile.name, tools: profile.tools, parameters: profile.parameters });
    call.log.info({ profile: profile.name, tools: tools.map((t) => t.name) }, 'assistant chosen');
    return {
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
