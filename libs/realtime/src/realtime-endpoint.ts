import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { openAiConfig } from '@app/config';
import type { OpenAiConfig } from '@app/config';
import { RealtimeSimulator, spokenVoiceBehaviour } from '@app/simulators';

/**
 * Where Realtime sessions connect. Normally OpenAI; in `local` without an API key, a built-in
 * Realtime simulator on loopback, so the gateway runs end to end with nothing else installed.
 */
@Injectable()
export class RealtimeEndpoint implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RealtimeEndpoint.name);
  private simulator?: RealtimeSimulator;
  private baseUrl: string;

  constructor(@Inject(openAiConfig.KEY) private readonly config: OpenAiConfig) {
    this.baseUrl = config.realtimeUrl;
  }

  async onModuleInit(): Promise<void> {
    if (!this.config.useEmbeddedSimulator) return;
    this.simulator = await RealtimeSimulator.start(spokenVoiceBehaviour());
    this.baseUrl = this.simulator.url;
    this.logger.warn(
      `No OPENAI_API_KEY: calls are SIMULATED by the embedded Realtime simulator at ${this.baseUrl}. ` +
        'Set OPENAI_API_KEY to talk to the real OpenAI Realtime API.',
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.simulator?.close();
  }

  get isSimulated(): boolean {
    return this.simulator !== undefined;
  }

  get apiKey(): string | undefined {
    return this.simulator ? undefined : this.config.apiKey;
  }

  /** The WebSocket URL with the model appended. */
  urlFor(model: string): string {
    const separator = this.baseUrl.includes('?') ? '&' : '?';
    return `${this.baseUrl}${separator}model=${encodeURIComponent(model)}`;
  }
}
