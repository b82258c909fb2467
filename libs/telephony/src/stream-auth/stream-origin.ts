import type { IncomingMessage } from 'node:http';

/** Who opened a media-stream socket, as its upgrade proved: Twilio (signed) or the console's softphone (its token). */
export type StreamOrigin = 'twilio' | 'softphone';

/** Query parameter of the softphone's media-stream URL (browsers cannot set headers on a WebSocket). */
export const SOFTPHONE_TOKEN_QUERY = 'softphone_token';

const origins = new WeakMap<IncomingMessage, StreamOrigin>();

/** Records how an upgrade was admitted (the WebSocket adapter does, before the connection). */
export function rememberStreamOrigin(request: IncomingMessage, origin: StreamOrigin): void {
  origins.set(request, origin);
}

/** How the upgrade of this request was admitted; undefined when nothing checked it. */
export function streamOriginOf(request: IncomingMessage): StreamOrigin | undefined {
  return origins.get(request);
}

/** A query parameter of a request URL (`/media-stream?softphone_token=…`). */
export function queryParameter(url: string | undefined, name: string): string | undefined {
  const query = (url ?? '').indexOf('?');
  if (query === -1) return undefined;
  return new URLSearchParams(url!.slice(query + 1)).get(name) ?? undefined;
}
