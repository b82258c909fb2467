import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { CallEvents } from '../events/call-events';
import type { CallObserver } from '../events/call-events';
import type { ObservedCall } from '../call/observed-call';

/** An outbound call that was not answered (on this pod) within this time no longer holds its slot. */
const RINGING_TTL_MS = 3 * 60_000;
/** A live call's slot lasts until it ends (or, if its end is never seen, this long). */
const LIVE_TTL_MS = 25 * 60 * 60_000;

/** A slot held while a call is being placed: bound to its CallSid once Twilio created it, or given back. */
export interface OutboundCallSlot {
  bind(callSid: string): void;
  cancel(): void;
}

/**
 * How many outbound calls each API key has ringing or live, so one key cannot run up an unbounded
 * number at once. A slot is taken before Twilio is asked (two simultaneous requests cannot both
 * pass), then follows the call: extended when its stream starts on this pod, given back when it
 * ends, or after a few minutes if it was never answered here. Counted in this process; expired
 * slots are forgotten lazily (no timers).
 */
@Injectable()
export class OutboundCallSlots implements CallObserver, OnModuleInit, OnModuleDestroy {
  /** API key id → slot id (CallSid, or a reservation) → expiry. */
  private readonly slots = new Map<string, Map<string, number>>();
  private readonly keyOfCall = new Map<string, string>();
  private reservations = 0;
  private unsubscribe?: () => void;

  constructor(private readonly events: CallEvents) {}

  onModuleInit(): void {
    this.unsubscribe = this.events.subscribe(this);
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  /** A slot for one more call of `keyId`, or undefined when it already has `limit`. */
  reserve(keyId: string, limit: number, now = Date.now()): OutboundCallSlot | undefined {
    const held = this.slots.get(keyId) ?? new Map<string, number>();
    for (const [id, expiresAt] of held) if (expiresAt <= now) this.forget(keyId, id, held);
    if (held.size >= limit) return undefined;
    this.slots.set(keyId, held);
    const reservation = `reservation-${++this.reservations}`;
    held.set(reservation, now + RINGING_TTL_MS);
    return {
      bind: (callSid) => {
        held.delete(reservation);
        held.set(callSid, now + RINGING_TTL_MS);
        this.keyOfCall.set(callSid, keyId);
      },
      cancel: () => this.forget(keyId, reservation, held),
    };
  }

  /** Ringing or live calls of this key (for tests and metrics). */
  held(keyId: string, now = Date.now()): number {
    return [...(this.slots.get(keyId)?.values() ?? [])].filter((expiresAt) => expiresAt > now).length;
  }

  callStarted(call: ObservedCall): void {
    const keyId = call.callSid ? this.keyOfCall.get(call.callSid) : undefined;
    if (keyId) this.slots.get(keyId)?.set(call.callSid!, Date.now() + LIVE_TTL_MS);
  }

  callEnded(call: ObservedCall): void {
    const keyId = call.callSid ? this.keyOfCall.get(call.callSid) : undefined;
    if (keyId) this.forget(keyId, call.callSid!, this.slots.get(keyId));
  }

  private forget(keyId: string, id: string, held: Map<string, number> | undefined): void {
    held?.delete(id);
    this.keyOfCall.delete(id);
    if (held && held.size === 0) this.slots.delete(keyId);
  }
}
