import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signStandardWebhook, webhookSigningKey } from '@app/auth';
import { standardWebhookSigner } from './standard-webhooks';
import { parseWebhookEvents } from './webhook-events';

// The Standard Webhooks specification's published test vector (the reference libraries test against it).
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

describe('Standard Webhooks signatures', () => {
  it("reproduces the specification's test vector", () => {
    expect(signStandardWebhook(webhookSigningKey(VECTOR.secret), VECTOR.id, VECTOR.timestamp, VECTOR.body)).toBe(VECTOR.signature);
  });

  it('decodes whsec_ secrets from base64 and uses any other secret as its UTF-8 bytes', () => {
    expect(webhookSigningKey(VECTOR.secret)).toEqual(Buffer.from('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'base64'));
    expect(webhookSigningKey('plain-secret-0123456789')).toEqual(Buffer.from('plain-secret-0123456789', 'utf8'));
    const raw = signStandardWebhook(webhookSigningKey('plain-secret-0123456789'), 'm1', 1700000000, '{}');
    expect(raw).toBe('v1,' + createHmac('sha256', 'plain-secret-0123456789').update('m1.1700000000.{}').digest('base64'));
    expect(() => webhookSigningKey('whsec_not base64!')).toThrow(/base64/);
  });

  it('signs each attempt with its Unix seconds and the stable id, one signature per key (current first)', () => {
    const current = webhookSigningKey(VECTOR.secret);
    const previous = webhookSigningKey('the-old-secret-0123456789');
    const headers = standardWebhookSigner([current, previous]).headers({ id: VECTOR.id, body: VECTOR.body, timestamp: VECTOR.timestamp * 1000 + 999 });
    expect(headers).toEqual({
      'webhook-id': VECTOR.id,
      'webhook-timestamp': String(VECTOR.timestamp),
      'webhook-signature': `${VECTOR.signature} ${signStandardWebhook(previous, VECTOR.id, VECTOR.timestamp, VECTOR.body)}`,
    });
  });

  it('reads event lists', () => {
    expect(parseWebhookEvents(' call.ended , call.ended,tool.called,')).toEqual(['call.ended', 'tool.called']);
    expect(parseWebhookEvents('')).toEqual([]);
    expect(() => parseWebhookEvents('call.ended,call.nope,x')).toThrow('unknown events "call.nope", "x"');
  });
});
