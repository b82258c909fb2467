/** The `<Parameter>` (and HTTP header) name that carries a W3C trace context from the webhook to the stream. */
export const TRACEPARENT_PARAMETER = 'traceparent';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export interface ParsedTraceParent {
  traceId: string;
  spanId: string;
  sampled: boolean;
}

/**
 * A W3C traceparent (version 00) as sent, or undefined when it is anything else: malformed,
 * all-zero ids, too long. Nothing but hex digits and dashes can come out of it.
 */
export function parseTraceParent(value: unknown): ParsedTraceParent | undefined {
  if (typeof value !== 'string' || value.length !== 55) return undefined;
  const match = TRACEPARENT.exec(value);
  if (!match) return undefined;
  const [, traceId, spanId, flags] = match;
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  return { traceId, spanId, sampled: (parseInt(flags, 16) & 1) === 1 };
}

export function formatTraceParent(traceId: string, spanId: string, sampled: boolean): string {
  return `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`;
}
