import { Injectable } from '@nestjs/common';
import type { Call } from './call/call';
import type { ObservedCall } from './call/observed-call';

/** The calls this process is serving right now, read-only: what observers (metrics, consoles, health) use. */
export abstract class LiveCalls {
  abstract readonly size: number;
  abstract observed(): ObservedCall[];
}

/**
 * The calls (media streams) this process is serving right now, for what must act on them (the
 * orchestrator, the drain). Observers use LiveCalls, the read-only side.
 */
@Injectable()
export class CallRegistry extends LiveCalls {
  private readonly calls = new Set<Call>();
  private emptyWaiters: Array<() => void> = [];

  add(call: Call): void {
    this.calls.add(call);
  }

  remove(call: Call): void {
    this.calls.delete(call);
    if (this.calls.size === 0 && this.emptyWaiters.length > 0) {
      const waiters = this.emptyWaiters;
      this.emptyWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  get size(): number {
    return this.calls.size;
  }

  all(): Call[] {
    return [...this.calls];
  }

  observed(): ObservedCall[] {
    return [...this.calls].map((call) => call.observed);
  }

  /**
   * Resolves true once no stream is left (including ones that never sent `start`), false when
   * `timeoutMs` passes first.
   */
  waitUntilEmpty(timeoutMs: number): Promise<boolean> {
    if (this.calls.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.emptyWaiters = this.emptyWaiters.filter((w) => w !== wake);
        resolve(false);
      }, timeoutMs);
      this.emptyWaiters.push(wake);
    });
  }
}
