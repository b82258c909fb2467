import { Injectable } from '@nestjs/common';
import type { Call } from './call/call';

/** The calls this process is serving right now. */
@Injectable()
export class CallRegistry {
  private readonly calls = new Set<Call>();

  add(call: Call): void {
    this.calls.add(call);
  }

  remove(call: Call): void {
    this.calls.delete(call);
  }

  get size(): number {
    return this.calls.size;
  }

  all(): Call[] {
    return [...this.calls];
  }
}
