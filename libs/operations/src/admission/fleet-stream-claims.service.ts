import { Injectable } from '@nestjs/common';
import { SharedClaims } from '@app/fleet';
import { StreamClaims } from '@app/telephony';

/**
 * How long a live stream's claim on its CallSid lasts if its end is never seen (the instance died
 * mid-call): longer than any call (MAX_CALL_DURATION_S is at most a few hours), and the normal end
 * releases it at once.
 */
export const LIVE_STREAM_CLAIM_TTL_MS = 6 * 60 * 60_000;

/**
 * The stream token's "used once" and "one live stream per CallSid" across the fleet, on the fleet's
 * claims (Redis SET NX PX, one round trip for both, within the fleet library's deadline): a token
 * replayed to another instance is refused, and so is a second stream for a call live anywhere.
 * While Redis is unavailable the answer comes from this instance's own claims (logged and counted
 * by the fleet library, never a long wait at `start`). Bound through TwilioModule's `claims` wiring
 * when Redis is configured; without it the telephony library's in-process claims apply.
 */
@Injectable()
export class FleetStreamClaims extends StreamClaims {
  constructor(private readonly claims: SharedClaims) {
    super();
  }

  async claim(callSid: string, tokenId: string, ttlMs: number): Promise<boolean> {
    const [tokenFresh, callFree] = await Promise.all([
      this.claims.claimOnce(tokenKey(tokenId), ttlMs),
      this.claims.claimOnce(callKey(callSid), LIVE_STREAM_CLAIM_TTL_MS),
    ]);
    // A used token never takes the call from its live stream: give back what this attempt won.
    if (!tokenFresh && callFree) void this.claims.release(callKey(callSid));
    return tokenFresh && callFree;
  }

  /** Resolves once the release reached Redis (the stream does not wait for it). */
  release(callSid: string): Promise<void> {
    return this.claims.release(callKey(callSid));
  }
}

const tokenKey = (tokenId: string) => `stream-token:${tokenId}`;
const callKey = (callSid: string) => `stream-call:${callSid}`;
