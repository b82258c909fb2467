import { Logger } from '@nestjs/common';
import { createClient, ErrorReply } from '@redis/client';

export type RedisClient = ReturnType<typeof createClient>;

/** Where shared live state stands: not configured (one process), or Redis up or down. */
export type SharedStateStatus = 'not-configured' | 'connecting' | 'up' | 'down';

/** Redis is not configured, not connected, or counted as down right now: use the in-process answer. */
export class SharedStateUnavailableError extends Error {
  constructor(reason: string) {
    super(`shared state unavailable: ${reason}`);
    this.name = 'SharedStateUnavailableError';
  }
}

export interface SharedRedisOptions {
  url: string;
  keyPrefix: string;
  commandTimeoutMs: number;
  breakerOpenMs: number;
}

/** Reconnect forever, with a capped backoff and jitter (a client that gives up would never come back). */
const reconnectDelay = (retries: number) => Math.min(100 * 2 ** retries, 5000) + Math.floor(Math.random() * 200);

/**
 * The one Redis connection of this process (plus a second one for subscriptions), built to fail
 * fast: no offline queue (a command while disconnected fails at once), our own deadline on every
 * call (node-redis's command timeout does not cover a server that stopped answering), and a
 * circuit breaker that treats Redis as down for `breakerOpenMs` after a failed or late call.
 * `connect()` is never awaited: the process starts and serves calls whether Redis is there or not.
 * Logs one line per change of state, never one per failed command.
 */
export class SharedRedis {
  private readonly logger = new Logger('SharedState');
  private readonly client: RedisClient;
  private subscriber?: RedisClient;
  private readonly channelHandlers = new Map<string, (message: string) => void>();
  private readonly subscribedChannels = new Set<string>();
  private connected = false;
  private breakerOpenUntil = 0;
  /** The state last logged: one line per change, never one per failed command. */
  private reported?: 'up' | 'down';
  private lastProblem?: string;
  private closed = false;
  /** How often each feature answered from this process because Redis was unavailable. */
  readonly fallbacks = new Map<string, number>();

  constructor(readonly options: SharedRedisOptions) {
    this.client = createClient({
      url: options.url,
      disableOfflineQueue: true,
      commandsQueueMaxLength: 1000,
      socket: { connectTimeout: 2000, reconnectStrategy: reconnectDelay },
    });
    // Without an 'error' listener node-redis would crash the process; it fires on every retry.
    this.client.on('error', (error: Error) => this.markDown(error.message));
    this.client.on('ready', () => this.markReady());
    this.client.on('end', () => this.markDown('connection closed'));
    void this.client.connect().catch((error: Error) => this.markDown(error.message));
  }

  /** `key('idem', 'x')` → `<prefix>idem:x`. */
  key(...parts: string[]): string {
    return this.options.keyPrefix + parts.join(':');
  }

  get status(): SharedStateStatus {
    if (this.available) return 'up';
    return this.reported === undefined ? 'connecting' : 'down';
  }

  /** True when a call may be tried now: connected and the breaker closed. */
  get available(): boolean {
    return this.connected && Date.now() >= this.breakerOpenUntil;
  }

  /**
   * Runs one Redis operation under the deadline. Rejects at once with SharedStateUnavailableError
   * while Redis is down; a late or failed call opens the breaker (a reply error such as WRONGTYPE does not).
   */
  async run<T>(operation: (client: RedisClient) => Promise<T>): Promise<T> {
    if (this.closed) throw new SharedStateUnavailableError('closed');
    if (!this.available) throw new SharedStateUnavailableError(this.lastProblem ?? 'not connected');
    let timer: NodeJS.Timeout | undefined;
    const pending = operation(this.client);
    // The loser of the race must not become an unhandled rejection.
    pending.catch(() => undefined);
    try {
      const result = await Promise.race([
        pending,
        new Promise<never>((_, reject) => {
          // setImmediate: after the event loop stalled (GC, a busy process) the timer runs before a
          // reply already waiting in the socket is read; one more turn lets the reply win.
          timer = setTimeout(() => setImmediate(() => reject(new Error(`no answer within ${this.options.commandTimeoutMs} ms`))), this.options.commandTimeoutMs);
        }),
      ]);
      if (this.reported === 'down' && this.available) this.report('up', 'Redis answers again: live state is shared across instances');
      return result;
    } catch (error) {
      if (!(error instanceof ErrorReply)) this.tripBreaker(error instanceof Error ? error.message : String(error));
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Counts an in-process answer given because Redis was unavailable (read by the metrics). */
  fellBack(feature: string): void {
    this.fallbacks.set(feature, (this.fallbacks.get(feature) ?? 0) + 1);
  }

  /** Subscribes to a channel on the subscription connection, now or as soon as it is ready; kept across reconnects. */
  subscribe(channel: string, handler: (message: string) => void): void {
    this.channelHandlers.set(channel, handler);
    const subscriber = this.subscriberClient();
    if (subscriber.isReady) this.subscribeNow(subscriber, channel);
  }

  publish(channel: string, message: string): Promise<number> {
    return this.run((client) => client.publish(channel, message));
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([this.client, this.subscriber].map((client) => (client ? closeQuickly(client) : undefined)));
  }

  private subscriberClient(): RedisClient {
    if (this.subscriber) return this.subscriber;
    const subscriber = this.client.duplicate();
    subscriber.on('error', () => undefined); // the main connection reports the state
    // node-redis resubscribes by itself after a reconnect; channels added while away are subscribed here.
    subscriber.on('ready', () => {
      for (const channel of this.channelHandlers.keys()) this.subscribeNow(subscriber, channel);
    });
    void subscriber.connect().catch(() => undefined);
    this.subscriber = subscriber;
    return subscriber;
  }

  private subscribeNow(subscriber: RedisClient, channel: string): void {
    if (this.subscribedChannels.has(channel)) return;
    this.subscribedChannels.add(channel);
    subscriber
      .subscribe(channel, (message: string) => {
        try {
          this.channelHandlers.get(channel)?.(message);
        } catch (error) {
          this.logger.error(`a shared-state message handler failed on ${channel}: ${error instanceof Error ? error.message : String(error)}`);
        }
      })
      .catch(() => this.subscribedChannels.delete(channel));
  }

  private markReady(): void {
    this.connected = true;
    this.breakerOpenUntil = 0;
    this.report('up', 'Redis is reachable: live state is shared across instances');
  }

  private markDown(problem: string): void {
    this.lastProblem = problem;
    if (this.client.isReady) return;
    this.connected = false;
    this.reportDown(problem);
  }

  private tripBreaker(problem: string): void {
    this.lastProblem = problem;
    this.breakerOpenUntil = Date.now() + this.options.breakerOpenMs;
    this.reportDown(problem);
  }

  private reportDown(problem: string): void {
    this.report(
      'down',
      `Redis is unreachable (${problem}): calls keep flowing; the console, idempotency keys, rate limits, stream-token claims, outbound-call slots and the fleet call cap fall back to this instance until it is back`,
    );
  }

  private report(state: 'up' | 'down', line: string): void {
    if (this.reported === state || this.closed) return;
    this.reported = state;
    if (state === 'up') this.logger.log(line);
    else this.logger.warn(line);
  }
}

async function closeQuickly(client: RedisClient): Promise<void> {
  if (!client.isOpen) return;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([client.close(), new Promise((resolve) => (timer = setTimeout(resolve, 500)))]);
  } catch {
    // closing a broken connection
  } finally {
    clearTimeout(timer);
  }
  if (client.isOpen) client.destroy();
}
