import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { OPENAI_REALTIME_OPTIONS } from './openai-realtime.module-definition';
import type { OpenAIRealtimeModuleOptions } from './openai-realtime.module-definition';
import { RealtimeSession, RealtimeSessionListener } from './realtime-session';
import { ResilientRealtimeSession } from './resilient-realtime-session';

/** Makes the OpenAI Realtime sessions of calls, pointed at the configured endpoint and model. */
@Injectable()
export class RealtimeSessionFactory {
  private readonly url: string;

  constructor(@Inject(OPENAI_REALTIME_OPTIONS) private readonly options: OpenAIRealtimeModuleOptions) {
    const separator = options.url.includes('?') ? '&' : '?';
    this.url = `${options.url}${separator}model=${encodeURIComponent(options.model)}`;
  }

  /** The model every session runs (also named in its `session.update`). */
  get model(): string {
    return this.options.model;
  }

  /** One raw session (one WebSocket). */
  create(listener: RealtimeSessionListener, logger: Logger): RealtimeSession {
    return new RealtimeSession({ url: this.url, apiKey: this.options.apiKey }, listener, logger);
  }

  /**
   * A call's session that survives OpenAI (retries, reconnects, the pre-ready buffer); `giveUp` is
   * called when it cannot recover, and must take care of the caller (the fallback).
   */
  createResilient(listener: RealtimeSessionListener, logger: Logger, giveUp: (reason: string) => Promise<void>): ResilientRealtimeSession {
    return new ResilientRealtimeSession(
      {
        connectTimeoutMs: this.options.connectTimeoutMs,
        connectAttempts: this.options.connectAttempts,
        maxReconnects: this.options.maxReconnectsPerCall,
        preReadyBufferMs: this.options.preReadyBufferMs,
      },
      { open: (sessionListener) => this.create(sessionListener, logger), giveUp },
      listener,
      logger,
    );
  }
}
