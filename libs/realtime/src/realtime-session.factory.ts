import { Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { RealtimeEndpoint } from './realtime-endpoint';
import { RealtimeSession, RealtimeSessionListener } from './realtime-session';

export interface NewRealtimeSession {
  model: string;
}

/** Makes one RealtimeSession per call, pointed at the configured endpoint. */
@Injectable()
export class RealtimeSessionFactory {
  constructor(private readonly endpoint: RealtimeEndpoint) {}

  create(options: NewRealtimeSession, listener: RealtimeSessionListener, logger: Logger): RealtimeSession {
    return new RealtimeSession(
      {
        url: this.endpoint.urlFor(options.model),
        apiKey: this.endpoint.apiKey,
      },
      listener,
      logger,
    );
  }
}
