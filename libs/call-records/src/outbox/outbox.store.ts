/** One message to deliver: an event of `type`, its exact `body`, where it goes and who signs it. */
export interface OutboxMessage {
  /** Stable across every attempt: receivers deduplicate on it. */
  id: string;
  /** What happened, e.g. `call.record` (issue-specific types such as `call.ended` use the same outbox). */
  type: string;
  /** The receiver's URL. */
  destination: string;
  /** The name of the signer that authenticates each attempt (its key stays in the configuration, never in the table). */
  signer: string;
  /** The exact bytes posted and signed (JSON text). */
  body: string;
}

/** A claimed message, with the attempt this claim is (1 for the first). */
export interface OutboxDelivery extends OutboxMessage {
  attempt: number;
  createdAt: string;
}

/** A row as stored, for inspection (tests, operators). */
export interface OutboxRow extends OutboxMessage {
  status: 'pending' | 'failed';
  attempts: number;
  nextAttemptAt: string;
  lastError?: string;
}

/**
 * The durable outbox of webhook deliveries, in the record store's database (the port the
 * publisher and the dispatcher depend on). Every instance may claim: a claim takes due rows and
 * leases them (pushes their next attempt forward by `leaseMs`), so two instances never make the
 * same attempt and a row claimed by an instance that died is due again when the lease ends.
 */
export abstract class OutboxStore {
  /** Adds a message, due at once (an id already there is left as it is). */
  abstract enqueue(message: OutboxMessage): Promise<void>;
  /** Takes up to `limit` due pending messages, oldest due first, leased for `leaseMs`; counts the attempt. */
  abstract claimDue(limit: number, leaseMs: number): Promise<OutboxDelivery[]>;
  /** The attempt succeeded: the message is done (removed). */
  abstract delivered(id: string): Promise<void>;
  /** The attempt failed but may succeed later: due again after `delayMs`. */
  abstract retryLater(id: string, delayMs: number, error: string): Promise<void>;
  /** No more attempts: kept as failed, with the reason. */
  abstract giveUp(id: string, error: string): Promise<void>;
  /** Claimed but never attempted (e.g. at shutdown, or this instance cannot handle them): due again after `delayMs`, the attempt not counted. */
  abstract release(ids: string[], delayMs?: number): Promise<void>;
  abstract find(id: string): Promise<OutboxRow | undefined>;
}
