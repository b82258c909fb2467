/** Provide this token (e.g. from the application's tracing) to observe each webhook delivery attempt. */
export const OUTBOX_DELIVERY_TRACER = Symbol('OUTBOX_DELIVERY_TRACER');

/** How one delivery attempt ended: `status` is the receiver's HTTP status, when it answered. */
export interface OutboxAttemptOutcome {
  result: 'delivered' | 'retry' | 'give-up';
  status?: number;
}

/**
 * A port for tracing webhook deliveries without call-records knowing the tracer: `attemptStarted`
 * is called as each attempt's request is made, and the function it returns once it has its answer.
 * Neither may throw (a throw is logged and ignored).
 */
export interface OutboxDeliveryTracer {
  attemptStarted(attempt: { id: string; type: string; attempt: number; destination: string }): (outcome: OutboxAttemptOutcome) => void;
}
