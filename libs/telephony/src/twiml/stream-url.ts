import type { IncomingHttpHeaders } from 'node:http';

/**
 * The public URL of the media-stream socket: from the configured public URL when set
 * (https://x → wss://x/path), else from the proxy headers Twilio's request arrived with.
 */
export function buildStreamUrl(publicUrl: string | undefined, path: string, headers: IncomingHttpHeaders, encrypted: boolean): string {
  return publicBaseUrl(publicUrl, headers, encrypted).replace(/^http/, 'ws') + path;
}

/** The base URL Twilio reaches the gateway at: the configured public URL, else the request's proxy headers. */
export function publicBaseUrl(publicUrl: string | undefined, headers: IncomingHttpHeaders, encrypted: boolean): string {
  return publicUrl ?? baseUrlFromHeaders(headers, encrypted);
}

export function baseUrlFromHeaders(headers: IncomingHttpHeaders, encrypted: boolean): string {
  const proto = firstValue(headers['x-forwarded-proto']) ?? (encrypted ? 'https' : 'http');
  const claimedHost = firstValue(headers['x-forwarded-host']) ?? firstValue(headers.host);
  // A Host header is client-controlled: only a plain host[:port] may end up in the TwiML.
  const host = claimedHost && /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(claimedHost) ? claimedHost : 'localhost';
  const scheme = proto.toLowerCase() === 'https' ? 'https' : 'http';
  return `${scheme}://${host}`;
}

function firstValue(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  const first = text?.split(',')[0]?.trim();
  return first ? first : undefined;
}
