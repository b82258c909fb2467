import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { GAP_TICK_MS } from './caller-audio-gaps';

/** What the ticker drives: cheap, synchronous, must not throw (a throw is caught and dropped). */
export interface Tickable {
  onTick(): void;
}

/**
 * One timer for every call of this process, instead of one per call: every GAP_TICK_MS it lets
 * each live call look at its caller media (see CallerAudioGaps). It runs only while a call is
 * registered, so an idle process holds no timer.
 */
@Injectable()
export class CallTicker implements OnApplicationShutdown {
  private readonly calls = new Set<Tickable>();
  private timer?: NodeJS.Timeout;

  constructor(@InjectPinoLogger('Call') private readonly logger: PinoLogger) {}

  add(call: Tickable): void {
    this.calls.add(call);
    if (this.timer === undefined) this.timer = setInterval(() => this.tick(), GAP_TICK_MS);
  }

  remove(call: Tickable): void {
    this.calls.delete(call);
    if (this.calls.size === 0) this.stop();
  }

  onApplicationShutdown(): void {
    this.calls.clear();
    this.stop();
  }

  private tick(): void {
    for (const call of this.calls) {
      try {
        call.onTick();
      } catch (error) {
        // A bug in one call must not stop the other calls' ticks.
        this.logger.error({ err: { message: (error as Error)?.message } }, 'a call failed on its media tick');
      }
    }
  }

  private stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}
