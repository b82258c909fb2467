import { DynamicModule, Global, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import type { GatewayConfig } from '@app/config';
import { OpenAIRealtimeModule } from '@app/realtime';
import type { OpenAIRealtimeModuleOptions } from '@app/realtime';
import { RealtimeSimulator, spokenVoiceBehaviour } from '@app/simulators';

/**
 * In `local` without an OpenAI key the gateway talks to a Realtime simulator it runs itself on
 * loopback, so it works end to end with nothing else installed.
 */
export function usesEmbeddedSimulator(config: GatewayConfig): boolean {
  return config.server.environment === 'local' && !config.realtime.apiKey;
}

/** The embedded Realtime simulator: started when the realtime module is configured, closed at shutdown. */
@Injectable()
export class EmbeddedRealtimeSimulator implements OnApplicationShutdown {
  private readonly logger = new Logger(EmbeddedRealtimeSimulator.name);
  private simulator?: Promise<RealtimeSimulator>;

  /** Starts the simulator (once) and returns the URL to hand to the realtime module. */
  async start(): Promise<string> {
    this.simulator ??= RealtimeSimulator.start(spokenVoiceBehaviour());
    const { url } = await this.simulator;
    this.logger.warn(
      `No OPENAI_API_KEY: calls are SIMULATED by the embedded Realtime simulator at ${url}. ` +
        'Set OPENAI_API_KEY to talk to the real OpenAI Realtime API.',
    );
    return url;
  }

  async onApplicationShutdown(): Promise<void> {
    await (await this.simulator)?.close();
  }
}

/**
 * Global, and imported first by the application module: global modules shut down in the reverse
 * order they were registered, so the simulator closes after the calls that talk to it have ended.
 */
@Global()
@Module({ providers: [EmbeddedRealtimeSimulator], exports: [EmbeddedRealtimeSimulator] })
export class EmbeddedRealtimeSimulatorModule {}

/** The OpenAI Realtime module, pointed at OpenAI or, when the configuration says so, at the embedded simulator. */
export function realtimeModule(config: GatewayConfig): DynamicModule {
  if (!usesEmbeddedSimulator(config)) return OpenAIRealtimeModule.forRoot(withEveryModelChecked(config));
  return OpenAIRealtimeModule.forRootAsync({
    imports: [EmbeddedRealtimeSimulatorModule],
    inject: [EmbeddedRealtimeSimulator],
    useFactory: async (simulator: EmbeddedRealtimeSimulator) => ({ ...config.realtime, url: await simulator.start(), apiKey: undefined, modelCheck: undefined }),
  });
}

/** The start-up model check covers every model a call may use: the default, the profiles' own, the transcription model, the post-call analysis's. */
function withEveryModelChecked(config: GatewayConfig): OpenAIRealtimeModuleOptions {
  const check = config.realtime.modelCheck;
  if (!check) return config.realtime;
  const profileModels = Object.values(config.assistant.profiles).flatMap((profile) => (profile.model ? [profile.model] : []));
  const transcription = config.assistant.inputTranscriptionModel ? [config.assistant.inputTranscriptionModel] : [];
  const analysis = config.callRecords.analysis;
  const analysisModels = analysis ? [analysis.model, ...Object.values(analysis.profiles).flatMap((profile) => (profile.model ? [profile.model] : []))] : [];
  return { ...config.realtime, modelCheck: { ...check, models: [...new Set([...check.models, ...profileModels, ...transcription, ...analysisModels])] } };
}
