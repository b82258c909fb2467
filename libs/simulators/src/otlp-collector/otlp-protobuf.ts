import type { CollectedSpan, CollectedValue } from './collected-span';

// The protobuf wire format, just what the trace protos use (opentelemetry/proto/collector/trace/v1).

type Field = { number: number; wire: number; varint?: bigint; bytes?: Buffer; fixed64?: Buffer };

function* fields(buffer: Buffer): Generator<Field> {
  let offset = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (offset >= buffer.length) throw new Error('truncated varint');
      const byte = buffer[offset++];
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (offset < buffer.length) {
    const key = Number(varint());
    const number = key >>> 3;
    const wire = key & 7;
    if (wire === 0) yield { number, wire, varint: varint() };
    else if (wire === 1) {
      yield { number, wire, fixed64: buffer.subarray(offset, offset + 8) };
      offset += 8;
    } else if (wire === 2) {
      const length = Number(varint());
      yield { number, wire, bytes: buffer.subarray(offset, offset + length) };
      offset += length;
    } else if (wire === 5) offset += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
}

type Value = CollectedValue;

function anyValue(buffer: Buffer): Value {
  for (const field of fields(buffer)) {
    if (field.number === 1) return field.bytes!.toString('utf8');
    if (field.number === 2) return field.varint !== 0n;
    if (field.number === 3) return Number(BigInt.asIntN(64, field.varint!));
    if (field.number === 4) return field.fixed64!.readDoubleLE(0);
  }
  return '';
}

function keyValues(target: Record<string, Value>, buffer: Buffer): void {
  let key = '';
  let value: Value = '';
  for (const field of fields(buffer)) {
    if (field.number === 1) key = field.bytes!.toString('utf8');
    else if (field.number === 2) value = anyValue(field.bytes!);
  }
  target[key] = value;
}

function decodeSpan(buffer: Buffer, resource: Record<string, Value>): CollectedSpan {
  const span: CollectedSpan = {
    traceId: '',
    spanId: '',
    parentSpanId: '',
    name: '',
    kind: 0,
    startTimeUnixNano: 0n,
    endTimeUnixNano: 0n,
    attributes: {},
    events: [],
    status: { code: 0, message: '' },
    resource,
  };
  for (const field of fields(buffer)) {
    switch (field.number) {
      case 1: span.traceId = field.bytes!.toString('hex'); break;
      case 2: span.spanId = field.bytes!.toString('hex'); break;
      case 4: span.parentSpanId = field.bytes!.toString('hex'); break;
      case 5: span.name = field.bytes!.toString('utf8'); break;
      case 6: span.kind = Number(field.varint); break;
      case 7: span.startTimeUnixNano = field.fixed64!.readBigUInt64LE(0); break;
      case 8: span.endTimeUnixNano = field.fixed64!.readBigUInt64LE(0); break;
      case 9: keyValues(span.attributes, field.bytes!); break;
      case 11: {
        const event = { name: '', attributes: {} as Record<string, Value> };
        for (const part of fields(field.bytes!)) {
          if (part.number === 2) event.name = part.bytes!.toString('utf8');
          else if (part.number === 3) keyValues(event.attributes, part.bytes!);
        }
        span.events.push(event);
        break;
      }
      case 15:
        for (const part of fields(field.bytes!)) {
          if (part.number === 2) span.status.message = part.bytes!.toString('utf8');
          else if (part.number === 3) span.status.code = Number(part.varint);
        }
        break;
      default:
        break;
    }
  }
  return span;
}

/** ExportTraceServiceRequest → ResourceSpans (1) → Resource (1) / ScopeSpans (2) → Span (2). */
export function decodeExportTraceServiceRequest(body: Buffer): CollectedSpan[] {
  const spans: CollectedSpan[] = [];
  for (const resourceSpans of fields(body)) {
    if (resourceSpans.number !== 1) continue;
    const resource: Record<string, Value> = {};
    const scopes: Buffer[] = [];
    for (const field of fields(resourceSpans.bytes!)) {
      if (field.number === 1) for (const attribute of fields(field.bytes!)) if (attribute.number === 1) keyValues(resource, attribute.bytes!);
      if (field.number === 2) scopes.push(field.bytes!);
    }
    for (const scope of scopes) for (const field of fields(scope)) if (field.number === 2) spans.push(decodeSpan(field.bytes!, resource));
  }
  return spans;
}
