import 'reflect-metadata';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { AssistantOptions } from '../profiles/assistant-options';
import { AssistantLookup, lookupParameters, parseLookupAnswer } from './assistant-lookup';
import { signStandardWebhook, verifyStandardWebhook, webhookSigningKey } from '@app/auth';

describe('Standard Webhooks signature', () => {
  it('signs id.timestamp.body with the decoded whsec_ key, or a raw key', () => {
    // The test vector of the Standard Webhooks specification.
    const key = webhookSigningKey('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
    const body = '{"test": 2432232314}';
    expect(signStandardWebhook(key, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, body)).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
    expect(webhookSigningKey('plain-secret').toString('utf8')).toBe('plain-secret');
  });

  it('verifies one of several signatures and refuses old timestamps and forgeries', () => {
    const key = webhookSigningKey('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
    const signature = signStandardWebhook(key, 'msg_1', 1000, 'body');
    expect(verifyStandardWebhook(key, { id: 'msg_1', timestamp: '1000', signature: `v1,bogus ${signature}` }, 'body', 1010)).toBe(true);
    expect(verifyStandardWebhook(key, { id: 'msg_1', timestamp: '1000', signature }, 'body!', 1010)).toBe(false);
    expect(verifyStandardWebhook(key, { id: 'msg_1', timestamp: '1000', signature }, 'body', 2000)).toBe(false);
    expect(verifyStandardWebhook(key, { id: 'msg_2', timestamp: '1000', signature }, 'body', 1010)).toBe(false);
  });
});

describe('assistant lookup answers', () => {
  it('accepts the known fields and keeps out internal stream parameters', () => {
    expect(parseLookupAnswer({ profile: 'sales', instructions: 'Hi {{name}}', variables: { name: 'Ada' }, tools: ['a', 'a', 'b'], greeting: '' })).toEqual({
      answer: { profile: 'sales', instructions: 'Hi {{name}}', variables: { name: 'Ada' }, tools: ['a', 'b'], greeting: '' },
    });
    expect(parseLookupAnswer({})).toEqual({ answer: {} });
    expect(lookupParameters({ From: '+1', To: '+2', CallSid: 'CA1', StreamToken: 't', 'CallContext.1': 'x', traceparent: 'y', campaign: 'spring' })).toEqual({ campaign: 'spring' });
  });

  it('refuses unknown fields, wrong types and oversized values, naming the field only', () => {
    const problems = [
      parseLookupAnswer([]),
      parseLookupAnswer({ voice: 'alloy' }),
      parseLookupAnswer({ profile: 'no spaces allowed' }),
      parseLookupAnswer({ instructions: 42 }),
      parseLookupAnswer({ instructions: 'x'.repeat(20_001) }),
      parseLookupAnswer({ variables: { name: 7 } }),
      parseLookupAnswer({ variables: { 'bad name': 'x' } }),
      parseLookupAnswer({ variables: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`v${i}`, 'x'])) }),
      parseLookupAnswer({ tools: 'all' }),
    ];
    for (const result of problems) expect(result).toHaveProperty('problem');
    expect(parseLookupAnswer({ variables: { name: 'secret value' + 'x'.repeat(1000) } })).toEqual({ problem: 'variable "name" is longer than 1000 characters' });
  });
});

describe('AssistantLookup', () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  async function backend(handler: Parameters<typeof createServer>[1]): Promise<string> {
    server = createServer(handler);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/lookup`;
  }
  const lookupAt = (url: string, timeoutMs = 300) =>
    new AssistantLookup({ assistant: { profiles: {}, lookup: { url, secret: 'a-secret-of-16-chars', timeoutMs } } as unknown as AssistantOptions });
  const request = { type: 'assistant.lookup' as const, callSid: 'CA1', direction: 'inbound' as const, from: '+1', to: '+2', profile: 'default', customParameters: {} };

  it('signs the request and reads a valid answer', async () => {
    let verified = false;
    const url = await backend((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        verified = verifyStandardWebhook(webhookSigningKey('a-secret-of-16-chars'), { id: req.headers['webhook-id'] as string, timestamp: req.headers['webhook-timestamp'] as string, signature: req.headers['webhook-signature'] as string }, body);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"profile":"sales"}');
      });
    });
    const result = await lookupAt(url).lookUpAssistant(request);
    expect(result).toMatchObject({ outcome: 'answered', answer: { profile: 'sales' } });
    expect(verified).toBe(true);
  });

  it('gives up at the timeout, also while the body is still coming, and refuses oversized answers', async () => {
    const url = await backend((req, res) => {
      req.resume();
      if (req.url === '/lookup') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"profile":');
        return; // never finishes
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ instructions: 'x'.repeat(70_000) }));
    });
    const slow = await lookupAt(url, 200).lookUpAssistant(request);
    expect(slow.outcome).toBe('timeout');
    expect(slow.durationMs).toBeGreaterThanOrEqual(190);
    expect(slow.durationMs).toBeLessThan(400);
    expect((await lookupAt(url.replace('/lookup', '/big')).lookUpAssistant(request)).outcome).toBe('invalid');
  });
});
