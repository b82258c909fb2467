import type { CollectedSpan, CollectedValue } from './collected-span';

/**
 * The OTLP/JSON encoding of ExportTraceServiceRequest (lowerCamelCase fields, ids as hex strings,
 * enums as numbers, 64-bit integers and times as decimal strings), decoded into the same
 * CollectedSpan as the protobuf one. Anything else (base64 ids, a missing id) is refused, as a
 * collector would.
 */
interface JsonAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number | string;
}
interface JsonKeyValue {
  key: string;
  value?: JsonAnyValue;
}
interface JsonSpan {
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  name?: string;
  kind?: number;
  startTimeUnixNano?: string | number;
  endTimeUnixNano?: string | number;
  attributes?: JsonKeyValue[];
  events?: Array<{ name?: string; attributes?: JsonKeyValue[] }>;
  status?: { code?: number; message?: string };
}
interface JsonExportTraceServiceRequest {
  resourceSpans?: Array<{ resource?: { attributes?: JsonKeyValue[] }; scopeSpans?: Array<{ spans?: JsonSpan[] }> }>;
}

function value(any: JsonAnyValue | undefined): CollectedValue {
  if (!any) return '';
  if (any.stringValue !== undefined) return any.stringValue;
  if (any.boolValue !== undefined) return any.boolValue;
  if (any.intValue !== undefined) return Number(any.intValue);
  if (any.doubleValue !== undefined) return Number(any.doubleValue);
  return '';
}

function keyValues(list: JsonKeyValue[] | undefined): Record<string, CollectedValue> {
  const out: Record<string, CollectedValue> = {};
  for (const { key, value: any } of list ?? []) out[key] = value(any);
  return out;
}

function hexId(id: string | undefined, length: number, what: string): string {
  if (typeof id !== 'string' || !new RegExp(`^[0-9a-f]{${length}}$`).test(id)) throw new Error(`${what} is not ${length} lower-case hex digits: ${String(id)}`);
  return id;
}

function nanos(time: string | number | undefined, what: string): bigint {
  if (typeof time !== 'string' || !/^\d+$/.test(time)) throw new Error(`${what} is not a decimal string: ${String(time)}`);
  return BigInt(time);
}

function enumNumber(code: unknown, what: string): number {
  if (code === undefined) return 0;
  if (typeof code !== 'number') throw new Error(`${what} is not a number: ${String(code)}`);
  return code;
}

export function decodeJsonExportTraceServiceRequest(body: Buffer): CollectedSpan[] {
  const request = JSON.parse(body.toString('utf8')) as JsonExportTraceServiceRequest;
  const spans: CollectedSpan[] = [];
  for (const resourceSpans of request.resourceSpans ?? []) {
    const resource = keyValues(resourceSpans.resource?.attributes);
    for (const scope of resourceSpans.scopeSpans ?? []) {
      for (const span of scope.spans ?? []) {
        spans.push({
          traceId: hexId(span.traceId, 32, 'traceId'),
          spanId: hexId(span.spanId, 16, 'spanId'),
          parentSpanId: span.parentSpanId ? hexId(span.parentSpanId, 16, 'parentSpanId') : '',
          name: span.name ?? '',
          kind: enumNumber(span.kind, 'kind'),
          startTimeUnixNano: nanos(span.startTimeUnixNano, 'startTimeUnixNano'),
          endTimeUnixNano: nanos(span.endTimeUnixNano, 'endTimeUnixNano'),
          attributes: keyValues(span.attributes),
          events: (span.events ?? []).map((event) => ({ name: event.name ?? '', attributes: keyValues(event.attributes) })),
          status: { code: enumNumber(span.status?.code, 'status.code'), message: span.status?.message ?? '' },
          resource,
        });
      }
    }
  }
  return spans;
}
