#!/usr/bin/env node
// An example assistant-lookup backend for the voice gateway (ASSISTANT_LOOKUP_URL): a
// dependency-free Node server that verifies the gateway's Standard Webhooks signature and answers
// by the caller's number which assistant takes the call.
//
//   ASSISTANT_LOOKUP_SECRET=whsec_... node examples/assistant-lookup-backend.mjs
//   ASSISTANT_LOOKUP_URL=http://127.0.0.1:8787/lookup on the gateway, with the same secret.
//
// Settings (environment):
//   ASSISTANT_LOOKUP_SECRET     the shared secret (`whsec_<base64>`, or any string used as UTF-8); required
//   PORT                        port to listen on (default 8787; 0 picks a free one); HOST (default 127.0.0.1)
//   ASSISTANT_LOOKUP_DIRECTORY  a JSON file { "<caller E.164>": <answer> }; default: the two callers below
//
// An answer may set profile, instructions, variables, tools and greeting; a caller not in the
// directory gets 204 (the gateway keeps its static profile).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const SECRET = process.env.ASSISTANT_LOOKUP_SECRET;
if (!SECRET) {
  console.error('ASSISTANT_LOOKUP_SECRET is required');
  process.exit(1);
}
const KEY = SECRET.startsWith('whsec_') ? Buffer.from(SECRET.slice(6), 'base64') : Buffer.from(SECRET, 'utf8');
const TOLERANCE_SECONDS = 5 * 60;
const MAX_BODY_BYTES = 64 * 1024;

const DIRECTORY = process.env.ASSISTANT_LOOKUP_DIRECTORY
  ? JSON.parse(readFileSync(process.env.ASSISTANT_LOOKUP_DIRECTORY, 'utf8'))
  : {
      '+15551230001': {
        instructions: 'You are the concierge for {{name}}, a gold customer. Greet them by name.',
        variables: { name: 'Ada Lovelace', tier: 'gold' },
        greeting: 'Greet {{name}} by name and ask how you can help.',
      },
      '+15551230002': { profile: 'support', variables: { ticket: 'T-1042' } },
    };

/** True when a `v1,` signature over `id.timestamp.body` matches and the timestamp is recent. */
function verify(headers, body) {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signatures !== 'string' || !/^\d+$/.test(timestamp)) return false;
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > TOLERANCE_SECONDS) return false;
  const expected = Buffer.from('v1,' + createHmac('sha256', KEY).update(`${id}.${timestamp}.${body}`).digest('base64'));
  return signatures.split(' ').some((candidate) => {
    const given = Buffer.from(candidate);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

/** The last four digits only: logs never carry whole phone numbers. */
const masked = (number) => (typeof number === 'string' && number.length > 4 ? '…' + number.slice(-4) : 'unknown');

function reply(res, status, body) {
  if (body === undefined) return res.writeHead(status).end();
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}

const server = createServer((req, res) => {
  if (req.method !== 'POST') return reply(res, 405, { error: 'POST only' });
  const chunks = [];
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) req.destroy();
    else chunks.push(chunk);
  });
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    if (!verify(req.headers, body)) {
      console.log('refused a request with a missing or wrong signature');
      return reply(res, 401, { error: 'bad signature' });
    }
    let lookup;
    try {
      lookup = JSON.parse(body);
    } catch {
      return reply(res, 400, { error: 'not JSON' });
    }
    if (lookup?.type !== 'assistant.lookup') return reply(res, 400, { error: 'not an assistant.lookup' });
    const answer = DIRECTORY[lookup.from];
    console.log(`lookup ${lookup.callSid} from ${masked(lookup.from)} (${lookup.direction}, static profile ${lookup.profile}): ${answer ? 'answered' : 'static profile'}`);
    if (!answer) return reply(res, 204);
    reply(res, 200, answer);
  });
});

server.listen(Number(process.env.PORT ?? 8787), process.env.HOST ?? '127.0.0.1', () => {
  const { address, port } = server.address();
  console.log(`assistant lookup backend listening on http://${address}:${port}/lookup`);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
