import { Injectable } from '@nestjs/common';

export interface OutboundCallContext {
  profile?: string;
  variables: Record<string, string>;
}

/** How long an outbound call may take to be answered before its context is forgotten. */
const CONTEXT_TTL_MS = 10 * 60_000;

/**
 * Profile and context variables of the outbound calls this instance placed, until their media
 * stream starts (keyed by Twilio's CallSid). In memory: the answering stream must reach the
 * instance that placed the call.
 */
@Injectable()
export class OutboundCallRegistry {
  private readonly pending = new Map<string, OutboundCallContext & { expiresAt: number }>();

  remember(callSid: string, context: OutboundCallContext, now = Date.now()): void {
    for (const [sid, entry] of this.pending) if (entry.expiresAt <= now) this.pending.delete(sid);
    this.pending.set(callSid, { ...context, expiresAt: now + CONTEXT_TTL_MS });
  }

  /** The context of an outbound call, once (the stream that answers it). */
  take(callSid: string | undefined, now = Date.now()): OutboundCallContext | undefined {
    if (!callSid) return undefined;
    const entry = this.pending.get(callSid);
    if (!entry) return undefined;
    this.pending.delete(callSid);
    return entry.expiresAt > now ? { profile: entry.profile, variables: entry.variables } : undefined;
  }
}
