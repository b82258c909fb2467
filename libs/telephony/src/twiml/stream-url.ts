import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

/** How the gateway learns its own public base URL (TwilioModuleOptions). */
export interface PublicUrlOptions {
  publicUrl?: string;
  trustProxyHeaders: boolean;
}

/** What of a request says where it arrived: its headers and its socket. */
export type ArrivedRequest = Pick<IncomingMessage, 'headers' | 'socket'>;

/** The public URL of the media-stream socket: the public base URL with `http` turned into `ws`, plus the path. */
export function buildStreamUrl(options: PublicUrlOptions, path: string, request: ArrivedRequest): string {
  return publicBaseUrl(options, request).replace(/^http/, 'ws') + path;
}

/**
 * The base URL Twilio reaches the gateway at: the configured public URL; else, only when told to
 * trust them, the proxy headers; else the address the request actually arrived at (its socket,
 * never a header a client could write).
 */
export function publicBaseUrl(options: PublicUrlOptions, request: ArrivedRequest): string {
  if (options.publicUrl) return options.publicUrl;
  if (options.trustProxyHeaders) return baseUrlFromHeaders(request.headers, isEncrypted(request.socket));
  return baseUrlFromSocket(request.socket);
}

/** `http(s)://<local address>:<port>` of the socket a request came in on. */
export function baseUrlFromSocket(socket: ArrivedRequest['socket']): string {
  const encrypted = isEncrypted(socket);
  let address = socket.localAddress ?? '127.0.0.1';
  if (address.startsWith('::ffff:')) address = address.slice(7);
  const host = address.includes(':') ? `[${address}]` : address;
  const port = socket.localPort;
  const defaultPort = encrypted ? 443 : 80;
  return `${encrypted ? 'https' : 'http'}://${host}${port === undefined || port === defaultPort ? '' : `:${port}`}`;
}

/** From `X-Forwarded-Proto` / `X-Forwarded-Host` (first value of each), then `Host`: only behind a proxy that sets them. */
export function baseUrlFromHeaders(headers: IncomingHttpHeaders, encrypted: boolean): string {
  const proto = firstValue(headers['x-forwarded-proto']) ?? (encrypted ? 'https' : 'http');
  const claimedHost = firstValue(headers['x-forwarded-host']) ?? firstValue(headers.host);
  // A Host header is client-controlled: only a plain host[:port] may end up in the TwiML.
  const host = claimedHost && /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(claimedHost) ? claimedHost : 'localhost';
  const scheme = proto.toLowerCase() === 'https' ? 'https' : 'http';
  return `${scheme}://${host}`;
}

function isEncrypted(socket: ArrivedRequest['socket']): boolean {
  return (socket as { encrypted?: boolean }).encrypted === true;
}

function firstValue(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  const first = text?.split(',')[0]?.trim();
  return first ? first : undefined;
}
