import { Injectable } from '@nestjs/common';

/**
 * "A token is used once" and "one live stream per CallSid", which must hold across every pod that
 * can receive the call's stream. The in-process implementation covers one process; a shared one
 * (e.g. Redis `SET NX PX`) can replace it through TwilioModule's `claims` wiring. `start` is not the
 * media path, but it must not wait long: a shared implementation should answer within a short
 * deadline (or fall back to its local answer).
 */
export abstract class StreamClaims {
  /**
   * True, and the claim holds, only if the token `tokenId` was never used and no live stream holds
   * `callSid`. `ttlMs` is how long the token must be remembered as used (until it expires); the
   * call's claim lasts until `release`.
   */
  abstract claim(callSid: string, tokenId: string, ttlMs: number): Promise<boolean> | boolean;
  /** The stream of `callSid` has ended: a new token may stream the call again. */
  abstract release(callSid: string): void;
}

/** StreamClaims for one process, in memory; expired token ids are forgotten lazily (no timers). */
@Injectable()
export class InProcessStreamClaims extends StreamClaims {
  /** Token id → when it expires; insertion order is expiry order (every token lives as long). */
  private readonly usedTokens = new Map<string, number>();
  private readonly liveCalls = new Set<string>();

  claim(callSid: string, tokenId: string, ttlMs: number, now = Date.now()): boolean {
    for (const [id, expiresAt] of this.usedTokens) {
      if (expiresAt > now) break;
      this.usedTokens.delete(id);
    }
    if (this.usedTokens.has(tokenId) || this.liveCalls.has(callSid)) return false;
    this.usedTokens.set(tokenId, now + ttlMs);
    this.liveCalls.add(callSid);
    return true;
  }

  release(callSid: string): void {
    this.liveCalls.delete(callSid);
  }
}
