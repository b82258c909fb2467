import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { SharedRedis } from '../redis/shared-redis';
import { SharedState } from '../redis/shared-state.service';

export type TopicHandler = (message: unknown, from: string) => void;
export type CallMessageHandler = (callSid: string, message: unknown, from: string) => void;

/** A message larger than this is not sent (the bus carries notices, not payloads). */
export const MAX_BUS_MESSAGE_BYTES = 256 * 1024;
/** How long this instance stays the known holder of a call without renewing it. */
const HOLDER_TTL_MS = 60_000;
/** A holder that could not be written (Redis connecting, or a blip) is written again this soon, then less often. */
const HOLDER_RETRY_FIRST_MS = 250;
// At most a second apart: a try while Redis is down fails at once, and a call must be reachable soon after it is back.
const HOLDER_RETRY_MAX_MS = 1000;
/** How often `sendToCallWithin` looks the holder up again while none is known. */
const SEND_RETRY_EVERY_MS = 200;

const RELEASE_IF_OURS = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * A small message bus across the fleet: `publish(topic, message)` reaches every instance's
 * subscribers to that topic (this one's at once, the others' through Redis pub/sub), and
 * `sendToCall(callSid, type, message)` reaches the one instance that holds that call's media stream
 * (instances `holdCall` the calls they serve). Fire and forget: a message sent while Redis is
 * unavailable, or while an instance is disconnected, is not delivered to other instances. Without
 * Redis the bus is this process.
 */
@Injectable()
export class FleetBus implements OnApplicationShutdown {
  private readonly logger = new Logger('FleetBus');
  private readonly topicHandlers = new Map<string, Set<TopicHandler>>();
  private readonly callHandlers = new Map<string, Set<CallMessageHandler>>();
  private readonly heldCalls = new Set<string>();
  /** Held calls whose holder key could not be written yet: other instances cannot reach them until it is. */
  private readonly unannounced = new Set<string>();
  private listeningForCalls = false;
  private shutDown = false;
  private renewTimer?: NodeJS.Timeout;
  private announceTimer?: NodeJS.Timeout;
  private announceDelayMs = HOLDER_RETRY_FIRST_MS;

  constructor(private readonly state: SharedState) {}

  get instanceId(): string {
    return this.state.instanceId;
  }

  publish(topic: string, message: unknown): void {
    this.deliver(this.topicHandlers.get(topic), (handler) => handler(message, this.instanceId));
    const redis = this.state.redis;
    if (!redis) return;
    const text = this.encode({ from: this.instanceId, message });
    if (text === undefined) return;
    redis.publish(redis.key('bus', 'topic', topic), text).catch(() => redis.fellBack('bus'));
  }

  /** Receives every message published on `topic` by any instance (this one's too). Returns the unsubscribe. */
  subscribe(topic: string, handler: TopicHandler): () => void {
    let handlers = this.topicHandlers.get(topic);
    if (!handlers) {
      handlers = new Set();
      this.topicHandlers.set(topic, handlers);
      const redis = this.state.redis;
      redis?.subscribe(redis.key('bus', 'topic', topic), (text) => {
        const envelope = decode(text);
        if (!envelope || envelope.from === this.instanceId) return;
        this.deliver(this.topicHandlers.get(topic), (h) => h(envelope.message, envelope.from as string));
      });
    }
    handlers.add(handler);
    return () => handlers.delete(handler);
  }

  // ---- messages for the instance that holds a call --------------------------------------

  /** This instance serves `callSid` now: messages sent to the call come here until `releaseCall`. */
  holdCall(callSid: string): void {
    this.heldCalls.add(callSid);
    const redis = this.state.redis;
    if (!redis) return;
    this.startRenewing();
    this.writeHolders(redis, [callSid]).catch(() => {
      redis.fellBack('bus');
      if (!this.heldCalls.has(callSid)) return;
      this.unannounced.add(callSid);
      this.scheduleAnnounce();
    });
  }

  releaseCall(callSid: string): void {
    if (!this.heldCalls.delete(callSid)) return;
    this.unannounced.delete(callSid);
    if (this.heldCalls.size === 0) this.stopRenewing();
    const redis = this.state.redis;
    redis
      ?.run((client) => client.eval(RELEASE_IF_OURS, { keys: [redis.key('bus', 'holder', callSid)], arguments: [this.instanceId] }))
      .catch(() => redis.fellBack('bus'));
  }

  /**
   * Sends a message to whichever instance holds the call. True when it was handed to that
   * instance (here, or to its Redis subscription); false when no instance holds the call, or Redis
   * is unavailable.
   */
  async sendToCall(callSid: string, type: string, message: unknown): Promise<boolean> {
    if (this.heldCalls.has(callSid)) {
      this.deliverCallMessage(callSid, type, message, this.instanceId);
      return true;
    }
    const redis = this.state.redis;
    if (!redis) return false;
    const text = this.encode({ from: this.instanceId, callSid, type, message });
    if (text === undefined) return false;
    try {
      const holder = await redis.run((client) => client.get(redis.key('bus', 'holder', callSid)));
      if (!holder || holder === this.instanceId) return false;
      return (await redis.publish(redis.key('bus', 'instance', holder), text)) > 0;
    } catch {
      redis.fellBack('bus');
      return false;
    }
  }

  /**
   * `sendToCall`, looking the holder up again every `everyMs` (200) for up to `withinMs` while none
   * is known: for a message that may arrive before the call's stream has started anywhere, or while
   * its holder is being written again after a Redis blip. Gives up at shutdown.
   */
  async sendToCallWithin(callSid: string, type: string, message: unknown, withinMs: number, everyMs = SEND_RETRY_EVERY_MS): Promise<boolean> {
    const deadline = Date.now() + withinMs;
    for (;;) {
      if (await this.sendToCall(callSid, type, message)) return true;
      const wait = Math.min(everyMs, deadline - Date.now());
      if (wait <= 0 || this.shutDown) return false;
      await new Promise((resolve) => setTimeout(resolve, wait).unref());
    }
  }

  /** Receives the messages of `type` sent to calls this instance holds. Returns the unsubscribe. */
  onCallMessage(type: string, handler: CallMessageHandler): () => void {
    let handlers = this.callHandlers.get(type);
    if (!handlers) this.callHandlers.set(type, (handlers = new Set()));
    handlers.add(handler);
    this.listenForCallMessages();
    return () => handlers.delete(handler);
  }

  onApplicationShutdown(): void {
    this.shutDown = true;
    this.stopRenewing();
  }

  /** Writes the holders that could not be written, backing off while Redis stays unavailable. */
  private scheduleAnnounce(): void {
    if (this.announceTimer) return;
    this.announceTimer = setTimeout(() => void this.announce(), this.announceDelayMs);
    this.announceTimer.unref();
  }

  private async announce(): Promise<void> {
    this.announceTimer = undefined;
    const redis = this.state.redis;
    for (const callSid of this.unannounced) if (!this.heldCalls.has(callSid)) this.unannounced.delete(callSid);
    const pending = [...this.unannounced];
    if (!redis || pending.length === 0) return;
    try {
      await this.writeHolders(redis, pending);
      for (const callSid of pending) this.unannounced.delete(callSid);
      this.announceDelayMs = HOLDER_RETRY_FIRST_MS;
    } catch {
      redis.fellBack('bus');
      this.announceDelayMs = Math.min(this.announceDelayMs * 2, HOLDER_RETRY_MAX_MS);
    }
    if (this.unannounced.size > 0) this.scheduleAnnounce();
  }

  private listenForCallMessages(): void {
    const redis = this.state.redis;
    if (this.listeningForCalls || !redis) return;
    this.listeningForCalls = true;
    redis.subscribe(redis.key('bus', 'instance', this.instanceId), (text) => {
      const envelope = decode(text);
      if (!envelope || typeof envelope.callSid !== 'string' || typeof envelope.type !== 'string') return;
      // The call may have ended (or moved) since the sender looked its holder up.
      if (!this.heldCalls.has(envelope.callSid)) return;
      this.deliverCallMessage(envelope.callSid, envelope.type, envelope.message, String(envelope.from));
    });
  }

  private deliverCallMessage(callSid: string, type: string, message: unknown, from: string): void {
    this.deliver(this.callHandlers.get(type), (handler) => handler(callSid, message, from));
  }

  private deliver<H>(handlers: Set<H> | undefined, invoke: (handler: H) => void): void {
    if (!handlers) return;
    for (const handler of handlers) {
      try {
        invoke(handler);
      } catch (error) {
        this.logger.error(`a fleet bus handler failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }

  private encode(envelope: Record<string, unknown>): string | undefined {
    const text = JSON.stringify(envelope);
    if (Buffer.byteLength(text) <= MAX_BUS_MESSAGE_BYTES) return text;
    this.logger.warn(`a fleet bus message of ${Buffer.byteLength(text)} bytes was not sent (limit ${MAX_BUS_MESSAGE_BYTES})`);
    return undefined;
  }

  private startRenewing(): void {
    if (this.renewTimer) return;
    this.renewTimer = setInterval(() => void this.renewHolders(), HOLDER_TTL_MS / 3);
    this.renewTimer.unref();
  }

  private stopRenewing(): void {
    clearInterval(this.renewTimer);
    this.renewTimer = undefined;
    clearTimeout(this.announceTimer);
    this.announceTimer = undefined;
  }

  /** Marks this instance as the holder of `callSids` for HOLDER_TTL_MS (one command, or one batch). */
  private writeHolders(redis: SharedRedis, callSids: string[]): Promise<unknown> {
    const holder = (callSid: string) => redis.key('bus', 'holder', callSid);
    const expiration = { type: 'PX', value: HOLDER_TTL_MS } as const;
    return redis.run<unknown>((client) => {
      if (callSids.length === 1) return client.set(holder(callSids[0]), this.instanceId, { expiration });
      const batch = client.multi();
      for (const callSid of callSids) batch.set(holder(callSid), this.instanceId, { expiration });
      return batch.exec();
    });
  }

  private async renewHolders(): Promise<void> {
    const redis = this.state.redis;
    if (!redis || this.heldCalls.size === 0) return;
    const held = [...this.heldCalls];
    try {
      await this.writeHolders(redis, held);
      for (const callSid of held) this.unannounced.delete(callSid);
    } catch {
      redis.fellBack('bus');
      // The holders may lapse meanwhile: written again as soon as Redis answers, not 20 s later.
      for (const callSid of held) this.unannounced.add(callSid);
      this.scheduleAnnounce();
    }
  }
}

function decode(text: string): Record<string, unknown> | undefined {
  if (text.length > MAX_BUS_MESSAGE_BYTES) return undefined;
  try {
    const value = JSON.parse(text) as unknown;
    return value !== null && typeof value === 'object' && typeof (value as { from?: unknown }).from === 'string' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
