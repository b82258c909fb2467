import { Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { SharedLeases } from '@app/fleet';
import { randomBytes } from 'node:crypto';
import { CallEvents } from '../events/call-events';
import type { CallObserver } from '../events/call-events';
import type { ObservedCall } from '../call/observed-call';

/** An outbound call that was not answered (on any pod) within this time no longer holds its slot. */
export const RINGING_SLOT_TTL_MS = 3 * 60_000;
/** A live call's slot is renewed by the pod serving it, so it comes back this soon after that pod dies. */
export const LIVE_SLOT_TTL_MS = 60_000;

/** A slot held while a call is being placed: bound to its CallSid once Twilio created it, or given back. */
export interface OutboundCallSlot {
  bind(callSid: string): Promise<void>;
  cancel(): Promise<void>;
}

/**
 * How many outbound calls each API key has ringing or live, across the fleet, so one key cannot run
 * up an unbounded number at once. A slot is a lease in the key's set of the fleet's shared leases
 * (Redis; this process alone without it, or while it is down): taken before Twilio is asked (two
 * simultaneous requests, on any pods, cannot both pass the limit), bound to the CallSid once Twilio
 * created the call, then kept alive by whichever pod serves the call's stream (it knows the key from
 * the call context) and given back when the call ends there. A call never answered gives its slot
 * back after a few minutes, and one whose pod died within a minute.
 */
@Injectable()
export class OutboundCallSlots implements CallObserver, OnModuleInit, OnApplicationShutdown {
  /** Outbound calls this pod serves: CallSid → the API key id that placed it (renewed on a timer). */
  private readonly served = new Map<string, string>();
  private renewTimer?: NodeJS.Timeout;
  private unsubscribe?: () => void;

  constructor(
    private readonly events: CallEvents,
    private readonly leases: SharedLeases,
  ) {}

  onModuleInit(): void {
    this.unsubscribe = this.events.subscribe(this);
  }

  // Not onModuleDestroy: calls ending during the SIGTERM drain must still give their slots back.
  onApplicationShutdown(): void {
    this.unsubscribe?.();
    this.stopRenewing();
  }

  /** A slot for one more call of `keyId`, or undefined when it already has `limit` ringing or live. */
  async reserve(keyId: string, limit: number): Promise<OutboundCallSlot | undefined> {
    const set = slotSet(keyId);
    const pending = `pending:${randomBytes(9).toString('base64url')}`;
    if (!(await this.leases.acquire(set, pending, RINGING_SLOT_TTL_MS, limit))) return undefined;
    return {
      // The call's lease first, then the pending one goes: the key's count never dips in between.
      bind: async (callSid) => {
        await this.leases.acquire(set, callSid, RINGING_SLOT_TTL_MS, 0);
        await this.leases.release(set, pending);
      },
      cancel: () => this.leases.release(set, pending),
    };
  }

  /** Ringing or live calls of `keyId` across the fleet. */
  held(keyId: string): Promise<number> {
    return this.leases.count(slotSet(keyId));
  }

  callStarted(call: ObservedCall): void {
    if (!call.callSid || !call.placedBy) return;
    this.served.set(call.callSid, call.placedBy);
    void this.leases.renew(slotSet(call.placedBy), [call.callSid], LIVE_SLOT_TTL_MS);
    this.startRenewing();
  }

  callEnded(call: ObservedCall): void {
    const keyId = call.callSid ? this.served.get(call.callSid) : undefined;
    if (!keyId) return;
    this.served.delete(call.callSid!);
    void this.leases.release(slotSet(keyId), call.callSid!);
    if (this.served.size === 0) this.stopRenewing();
  }

  /** Pushes the leases of the calls this pod serves forward (also run on the timer). */
  async renew(): Promise<void> {
    const byKey = new Map<string, string[]>();
    for (const [callSid, keyId] of this.served) byKey.set(keyId, [...(byKey.get(keyId) ?? []), callSid]);
    await Promise.all([...byKey].map(([keyId, callSids]) => this.leases.renew(slotSet(keyId), callSids, LIVE_SLOT_TTL_MS)));
  }

  private startRenewing(): void {
    if (this.renewTimer) return;
    this.renewTimer = setInterval(() => void this.renew(), LIVE_SLOT_TTL_MS / 3);
    this.renewTimer.unref();
  }

  private stopRenewing(): void {
    clearInterval(this.renewTimer);
    this.renewTimer = undefined;
  }
}

/** The fleet's lease set of one API key's outbound calls. */
const slotSet = (keyId: string) => `outbound-calls:${keyId}`;
