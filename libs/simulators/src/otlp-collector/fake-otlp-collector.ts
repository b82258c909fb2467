import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttp2Server } from 'node:http2';
import type { Http2Server, Http2Session, IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import type { CollectedSpan } from './collected-span';
import { decodeJsonExportTraceServiceRequest } from './otlp-json';
import { decodeExportTraceServiceRequest } from './otlp-protobuf';

export type { CollectedSpan } from './collected-span';
export { decodeExportTraceServiceRequest } from './otlp-protobuf';

const GRPC_EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
/** gRPC status codes the fake answers with. */
const GRPC = { OK: '0', INVALID_ARGUMENT: '3', UNIMPLEMENTED: '12' } as const;

/**
 * A fake OpenTelemetry collector on 127.0.0.1, decoding every ExportTraceServiceRequest into
 * `spans` as the collector does, over each standard OTLP protocol:
 * - OTLP/HTTP at `url` (`POST /v1/traces`): `application/x-protobuf` or `application/json`, optionally gzip;
 * - OTLP/gRPC at `grpcUrl` (cleartext HTTP/2): TraceService/Export, length-prefixed protobuf messages,
 *   answered with an empty ExportTraceServiceResponse and `grpc-status: 0`.
 */
export class FakeOtlpCollector {
  readonly spans: CollectedSpan[] = [];
  /** Every request, by path (also the ones that are not trace exports). */
  readonly requests: Array<{ method: string; path: string; contentType: string }> = [];
  private readonly grpcSessions = new Set<Http2Session>();

  private constructor(
    private readonly server: Server,
    private readonly grpcServer: Http2Server,
  ) {}

  static async start(): Promise<FakeOtlpCollector> {
    let collector!: FakeOtlpCollector;
    const server = createServer((request, response) => collector.handle(request, response));
    const grpcServer = createHttp2Server();
    grpcServer.on('stream', (stream, headers) => collector.handleGrpc(stream, headers));
    grpcServer.on('session', (session) => {
      collector.grpcSessions.add(session);
      session.on('close', () => collector.grpcSessions.delete(session));
    });
    collector = new FakeOtlpCollector(server, grpcServer);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => grpcServer.listen(0, '127.0.0.1', resolve));
    return collector;
  }

  /** The OTLP/HTTP base URL, as OTEL_EXPORTER_OTLP_ENDPOINT. */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The OTLP/gRPC endpoint, as OTEL_EXPORTER_OTLP_ENDPOINT with OTEL_EXPORTER_OTLP_PROTOCOL=grpc. */
  get grpcUrl(): string {
    return `http://127.0.0.1:${(this.grpcServer.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    for (const session of this.grpcSessions) session.destroy();
    await Promise.all([
      new Promise<void>((resolve) => this.server.close(() => resolve())),
      new Promise<void>((resolve) => this.grpcServer.close(() => resolve())),
    ]);
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const contentType = request.headers['content-type'] ?? '';
      this.requests.push({ method: request.method ?? '', path: request.url ?? '', contentType });
      if (request.method !== 'POST' || request.url !== '/v1/traces') return void response.writeHead(404).end();
      const decode = contentType === 'application/x-protobuf' ? decodeExportTraceServiceRequest : contentType === 'application/json' ? decodeJsonExportTraceServiceRequest : undefined;
      if (!decode) return void response.writeHead(415).end();
      try {
        let body = Buffer.concat(chunks);
        if (request.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
        this.spans.push(...decode(body));
      } catch {
        return void response.writeHead(400).end();
      }
      // An empty ExportTraceServiceResponse, in the request's encoding.
      response.writeHead(200, { 'content-type': contentType }).end(contentType === 'application/json' ? '{}' : Buffer.alloc(0));
    });
  }

  private handleGrpc(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('error', () => undefined);
    stream.on('end', () => {
      const method = String(headers[':method'] ?? '');
      const path = String(headers[':path'] ?? '');
      const contentType = String(headers['content-type'] ?? '');
      this.requests.push({ method, path, contentType });
      if (!contentType.startsWith('application/grpc')) return void stream.respond({ ':status': 415 }, { endStream: true });
      if (method !== 'POST' || path !== GRPC_EXPORT_PATH) return void stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': GRPC.UNIMPLEMENTED }, { endStream: true });
      try {
        for (const message of grpcMessages(Buffer.concat(chunks), String(headers['grpc-encoding'] ?? 'identity'))) this.spans.push(...decodeExportTraceServiceRequest(message));
      } catch (error) {
        const message = encodeURIComponent(error instanceof Error ? error.message : String(error));
        return void stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': GRPC.INVALID_ARGUMENT, 'grpc-message': message }, { endStream: true });
      }
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': GRPC.OK }));
      // One empty ExportTraceServiceResponse: not compressed, length 0.
      stream.end(Buffer.alloc(5));
    });
  }
}

/** gRPC's length-prefixed messages: a compressed flag byte, a 4-byte big-endian length, the message. */
function grpcMessages(body: Buffer, encoding: string): Buffer[] {
  const messages: Buffer[] = [];
  let offset = 0;
  while (offset < body.length) {
    if (offset + 5 > body.length) throw new Error('truncated gRPC message header');
    const compressed = body[offset] === 1;
    const length = body.readUInt32BE(offset + 1);
    const message = body.subarray(offset + 5, offset + 5 + length);
    if (message.length !== length) throw new Error('truncated gRPC message');
    if (compressed && encoding !== 'gzip') throw new Error(`unsupported grpc-encoding ${encoding}`);
    messages.push(compressed ? gunzipSync(message) : message);
    offset += 5 + length;
  }
  return messages;
}
