/** An attribute value a span may carry: never transcript text or phone numbers. */
export type TraceAttributeValue = string | number | boolean;
export type TraceAttributes = Readonly<Record<string, TraceAttributeValue | undefined>>;

/** A span as the gateway's code sees it, without importing OpenTelemetry. */
export interface TraceSpan {
  setAttribute(key: string, value: TraceAttributeValue): void;
  /** Marks the span failed; `message` must be free of caller data (a code, an HTTP status). */
  setError(message?: string): void;
  /** A point in time on the span (e.g. an OpenAI error code), with attributes free of caller data. */
  addEvent(name: string, attributes?: TraceAttributes): void;
  /** Ends the span, now or at `endTime` (epoch milliseconds); ending it again does nothing. */
  end(endTime?: number): void;
  /** This span as a W3C `traceparent`, for a child span in another process (undefined when tracing is off). */
  readonly traceParent: string | undefined;
}

export interface StartSpanOptions {
  /** The span belongs to this live call's trace (a child of its `call` span) when the call is known here. */
  callSid?: string;
  /** A W3C `traceparent` to continue instead (wins over `callSid`'s call span). */
  parent?: string;
  /** A span of this process to be the parent (wins over both). */
  parentSpan?: TraceSpan;
  attributes?: TraceAttributes;
  /** Epoch milliseconds; default now. */
  startTime?: number;
  /** `server` for a request received, `client` for a request made; default internal. */
  kind?: 'server' | 'client' | 'internal';
}

/** What every span is while tracing is off: does nothing, allocates nothing. */
export const NOOP_SPAN: TraceSpan = Object.freeze({
  setAttribute: () => undefined,
  setError: () => undefined,
  addEvent: () => undefined,
  end: () => undefined,
  traceParent: undefined,
});
