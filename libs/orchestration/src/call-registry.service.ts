import { Injectable } from '@nestjs/common';
import type { Call } from './call/call';
import type { ObservedCall } from './call/observed-call';

/**
 * The calls this process is serving right now, read-only: what observers (metrics, consoles,
 * health, admission) use. A call counts from its stream's valid `start`: sockets that never sent
 * one are not calls, and never take capacity.
 */
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

  /** Calls whose stream started (and has not ended). */
  get size(): number {
    let started = 0;
    for (const call of this.calls) if (call.startedAt !== undefined) started++;
    return started;
  }

  /** Media-stream sockets that have not sent a valid `start` (yet). */
  get connecting(): number {
    return this.calls.size - this.size;
  }

  /** Every stream this process holds, started or not (for the drain and the shutdown). */
  all(): Call[] {
    return [...this.calls];
  }

  /** The started call with this CallSid, if this process serves it. */
  bySid(callSid: string): Call | undefined {
    for (const call of this.calls) if (call.callSid === callSid && call.state === 'active') return call;
    return undefined;
  }

  observed(): ObservedCall[] {
    const started: ObservedCall[] = [];
    for (const call of this.calls) if (call.startedAt !== undefined) started.push(call.observed);
    return started;
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
