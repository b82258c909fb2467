import { describe, expect, it } from 'vitest';
import type { IncomingMessage } from 'node:http';
import { buildStreamUrl as build } from './stream-url';

const PATH = '/media-stream';
const SOCKET = { localAddress: '10.1.2.3', localPort: 5050 };
const TLS_SOCKET = { ...SOCKET, localPort: 443, encrypted: true };

/** The stream URL from PUBLIC_URL, or (undefined) from the proxy headers the gateway was told to trust. */
function buildStreamUrl(publicUrl: string | undefined, path: string, headers: Record<string, string | string[]>, encrypted: boolean): string {
  const request = { headers, socket: encrypted ? TLS_SOCKET : SOCKET } as unknown as IncomingMessage;
  return build({ publicUrl, trustProxyHeaders: true }, path, request);
}

describe('buildStreamUrl', () => {
  describe('from PUBLIC_URL', () => {
    it('turns https into wss', () => {
      expect(buildStreamUrl('https://voice.example.com', PATH, {}, false)).toBe('wss://voice.example.com/media-stream');
    });

    it('turns http into ws', () => {
      expect(buildStreamUrl('http://localhost:5050', PATH, {}, false)).toBe('ws://localhost:5050/media-stream');
    });

    it('keeps a base path and ignores the request headers', () => {
      const headers = { host: 'attacker.example', 'x-forwarded-host': 'other.example', 'x-forwarded-proto': 'http' };
      expect(buildStreamUrl('https://example.com/voice', PATH, headers, false)).toBe('wss://example.com/voice/media-stream');
    });
  });

  describe('without PUBLIC_URL, not told to trust proxy headers', () => {
    it('uses the address the request arrived at, whatever the headers claim', () => {
      const headers = { host: 'attacker.example', 'x-forwarded-host': 'other.example', 'x-forwarded-proto': 'https' };
      const request = { headers, socket: SOCKET } as unknown as IncomingMessage;
      expect(build({ trustProxyHeaders: false }, PATH, request)).toBe('ws://10.1.2.3:5050/media-stream');
      const tls = { headers, socket: TLS_SOCKET } as unknown as IncomingMessage;
      expect(build({ trustProxyHeaders: false }, PATH, tls)).toBe('wss://10.1.2.3/media-stream');
      const v6 = { headers, socket: { localAddress: '::1', localPort: 5050 } } as unknown as IncomingMessage;
      expect(build({ trustProxyHeaders: false }, PATH, v6)).toBe('ws://[::1]:5050/media-stream');
      const mapped = { headers, socket: { localAddress: '::ffff:127.0.0.1', localPort: 5050 } } as unknown as IncomingMessage;
      expect(build({ trustProxyHeaders: false }, PATH, mapped)).toBe('ws://127.0.0.1:5050/media-stream');
    });
  });

  describe('from the request headers (TRUST_PROXY_HEADERS=true)', () => {
    it('uses X-Forwarded-Proto and X-Forwarded-Host', () => {
      const headers = { host: 'internal:5050', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'voice.example.com' };
      expect(buildStreamUrl(undefined, PATH, headers, false)).toBe('wss://voice.example.com/media-stream');
    });

    it('takes the first value of comma-separated proxy headers', () => {
      const headers = { 'x-forwarded-proto': 'https, http', 'x-forwarded-host': 'voice.example.com, proxy.internal:8080' };
      expect(buildStreamUrl(undefined, PATH, headers, false)).toBe('wss://voice.example.com/media-stream');
    });

    it('takes the first value of a repeated header', () => {
      const headers = { 'x-forwarded-host': ['voice.example.com', 'other.example'] } as Record<string, string | string[]>;
      expect(buildStreamUrl(undefined, PATH, headers, true)).toBe('wss://voice.example.com/media-stream');
    });

    it('falls back to Host, with the scheme from the connection', () => {
      expect(buildStreamUrl(undefined, PATH, { host: 'abc123.ngrok.app' }, true)).toBe('wss://abc123.ngrok.app/media-stream');
      expect(buildStreamUrl(undefined, PATH, { host: 'localhost:5050' }, false)).toBe('ws://localhost:5050/media-stream');
    });

    it('accepts an IPv6 host with a port', () => {
      expect(buildStreamUrl(undefined, PATH, { host: '[::1]:5050' }, false)).toBe('ws://[::1]:5050/media-stream');
    });

    it('only ever produces ws or wss, whatever X-Forwarded-Proto claims', () => {
      const headers = { host: 'voice.example.com', 'x-forwarded-proto': 'javascript' };
      expect(buildStreamUrl(undefined, PATH, headers, true)).toBe('ws://voice.example.com/media-stream');
      expect(buildStreamUrl(undefined, PATH, { host: 'voice.example.com', 'x-forwarded-proto': 'HTTPS' }, false)).toBe(
        'wss://voice.example.com/media-stream',
      );
    });

    it('uses localhost when there is no host at all', () => {
      expect(buildStreamUrl(undefined, PATH, {}, false)).toBe('ws://localhost/media-stream');
    });

    it.each([
      'evil.example"/><Redirect>https://evil.example</Redirect><Stream url="x',
      'evil.example<script>',
      "evil.example'",
      'evil.example/path',
      'user@evil.example',
      'evil.example:99999999',
      'evil .example',
    ])('falls back to localhost for the hostile Host %j', (host) => {
      const url = buildStreamUrl(undefined, PATH, { host }, true);
      expect(url).toBe('wss://localhost/media-stream');
    });

    it('falls back to localhost for a hostile X-Forwarded-Host too', () => {
      const headers = { host: 'voice.example.com', 'x-forwarded-host': 'a"<b' };
      expect(buildStreamUrl(undefined, PATH, headers, true)).toBe('wss://localhost/media-stream');
    });
  });
});
