import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { OPENAI_REALTIME_OPTIONS } from './openai-realtime.module-definition';
import type { OpenAIRealtimeModuleOptions } from './openai-realtime.module-definition';
import { RealtimeSession, RealtimeSessionListener } from './realtime-session';
import { ResilientRealtimeSession } from './resilient-realtime-session';

/** Makes the OpenAI Realtime sessions of calls, pointed at the configured endpoint, each with its model. */
@Injectable()
export class RealtimeSessionFactory {
  /** The WebSocket URL per model (`?model=` appended), built once per model. */
  private readonly urls = new Map<string, string>();

  constructor(@Inject(OPENAI_REALTIME_OPTIONS) private readonly options: OpenAIRealtimeModuleOptions) {}

  /** The default model of sessions (a profile may choose another). */
  get model(): string {
    return this.options.model;
  }

  /** One raw session (one WebSocket) running `model` (default: the configured one). */
  create(listener: RealtimeSessionListener, logger: Logger, model = this.options.model): RealtimeSession {
    return new RealtimeSession({ url: this.urlFor(model), apiKey: this.options.apiKey, auth: this.options.auth }, listener, logger);
  }

  /**
   * A call's session that survives OpenAI (retries, reconnects, the pre-ready buffer); `giveUp` is
   * called when it cannot recover, and must take care of the caller (the fallback).
   */
  createResilient(
    listener: RealtimeSessionListener,
    logger: Logger,
    giveUp: (reason: string) => Promise<void>,
    model = this.options.model,
  ): ResilientRealtimeSession {
    return new ResilientRealtimeSession(
      {
        connectTimeoutMs: this.options.connectTimeoutMs,
        connectAttempts: this.options.connectAttempts,
        maxReconnects: this.options.maxReconnectsPerCall,
        preReadyBufferMs: this.options.preReadyBufferMs,
      },
      { open: (sessionListener) => this.create(sessionListener, logger, model), giveUp },
      listener,
      logger,
    );
  }

  private urlFor(model: string): string {
    let url = this.urls.get(model);
    if (url === undefined) {
      const separator = this.options.url.includes('?') ? '&' : '?';
      url = `${this.options.url}${separator}model=${encodeURIComponent(model)}`;
      this.urls.set(model, url);
    }
    return url;
  }
}
