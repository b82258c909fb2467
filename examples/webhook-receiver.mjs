#!/usr/bin/env node
// A dependency-free receiver of the voice gateway's lifecycle webhooks (Standard Webhooks).
//
//   WEBHOOK_SECRET=whsec_... PORT=8787 node examples/webhook-receiver.mjs
//
// It verifies every request as the Standard Webhooks specification says (HMAC-SHA256 over
// `<webhook-id>.<webhook-timestamp>.<raw body>`, a timestamp within 5 minutes, a constant-time
// comparison against each `v1,` signature), answers 204, and handles each webhook-id once: a
// retry of a delivery it already handled is answered 204 again and not processed twice. Use
// `verifyWebhook` in your own server; keep the seen ids in your database rather than in memory.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';

/** How far a webhook's timestamp may be from this machine's clock (replayed old deliveries are refused). */
export const TOLERANCE_SECONDS = 5 * 60;

export class WebhookVerificationError extends Error {}

/** The HMAC key of a secret: `whsec_<base64>` is decoded; any other secret is used as its UTF-8 bytes. */
export function signingKey(secret) {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice('whsec_'.length), 'base64') : Buffer.from(secret, 'utf8');
}

/**
 * Checks one request and returns its parsed body ({ type, timestamp, data }) with its id.
 * `headers`: the request's headers (lower-case names, as Node gives them); `body`: the raw body,
 * exactly as received (a string or a Buffer), never re-serialised JSON. Throws WebhookVerificationError.
 */
export function verifyWebhook(secret, headers, body, { now = Date.now(), toleranceSeconds = TOLERANCE_SECONDS } = {}) {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures) throw new WebhookVerificationError('missing webhook-id, webhook-timestamp or webhook-signature');
  if (!/^\d+$/.test(timestamp)) throw new WebhookVerificationError('webhook-timestamp is not Unix seconds');
  if (Math.abs(Math.floor(now / 1000) - Number(timestamp)) > toleranceSeconds) throw new WebhookVerificationError('webhook-timestamp is too far from now');
  const raw = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  const expected = createHmac('sha256', signingKey(secret)).update(`${id}.${timestamp}.`).update(raw).digest();
  // Several space-separated signatures (the sender signs with old and new keys while a secret is rotated): one must match.
  const matches = signatures.split(' ').some((candidate) => {
    const [version, value] = candidate.split(',', 2);
    if (version !== 'v1' || !value) return false;
    const given = Buffer.from(value, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!matches) throw new WebhookVerificationError('no valid signature');
  let event;
  try {
    event = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new WebhookVerificationError('the body is not JSON');
  }
  return { id, event };
}

function header(headers, name) {
  const value = typeof headers.get === 'function' ? headers.get(name) : headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * An HTTP request handler: verifies, skips webhook-ids already handled, and calls
 * `onEvent(event, id)` once per id. `seen`: the ids handled (a Set; use your database in production).
 */
export function webhookHandler({ secret, onEvent, seen = new Set(), maxBodyBytes = 5 * 1024 * 1024 }) {
  return (req, res) => {
    if (req.method !== 'POST') return void res.writeHead(405, { allow: 'POST' }).end();
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > maxBodyBytes) req.destroy();
      else chunks.push(chunk);
    });
    req.on('end', async () => {
      let verified;
      try {
        verified = verifyWebhook(secret, req.headers, Buffer.concat(chunks));
      } catch (error) {
        return void res.writeHead(error instanceof WebhookVerificationError ? 401 : 400, { 'content-type': 'text/plain' }).end(`${error.message}\n`);
      }
      if (seen.has(verified.id)) return void res.writeHead(204).end();
      try {
        await onEvent(verified.event, verified.id);
      } catch {
        // Not handled: a 5xx makes the gateway deliver it again later (same webhook-id).
        return void res.writeHead(500).end();
      }
      seen.add(verified.id);
      res.writeHead(204).end();
    });
  };
}

// Run directly: print one JSON line per event handled (its type, id and call; never the transcript).
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const secret = process.env.WEBHOOK_SECRET;
  if (!secret) {
    console.error('Set WEBHOOK_SECRET to the gateway\'s CALL_RECORD_WEBHOOK_SECRET.');
    process.exit(1);
  }
  const server = createServer(
    webhookHandler({
      secret,
      onEvent: (event, id) => console.log(JSON.stringify({ received: event.type, id, callSid: event.data?.callSid, at: event.timestamp })),
    }),
  );
  server.listen(Number(process.env.PORT ?? 8787), process.env.HOST ?? '127.0.0.1', () => {
    console.log(JSON.stringify({ listening: server.address().port }));
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}
