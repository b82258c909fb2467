import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ReceivedStart } from '../media-stream/twilio-frames';
import type { TwilioModuleOptions } from '../twilio.module-definition';
import { callContextParameters } from './call-context';
import { InProcessStreamClaims, StreamClaims } from './stream-claims';
import { StreamCredentials } from './stream-credentials.service';
import { StartVerdict, StreamStartVerifier } from './stream-start-verifier.service';

const ACCOUNT = 'AC' + '1'.repeat(32);
const options = { accountSid: ACCOUNT, keys: { streamToken: randomBytes(32), softphoneToken: randomBytes(32), callContext: randomBytes(32), transferTicket: randomBytes(32) } } as TwilioModuleOptions;

function setUp(claims: StreamClaims = new InProcessStreamClaims()) {
  const credentials = new StreamCredentials(options);
  return { credentials, verifier: new StreamStartVerifier(credentials, claims, options) };
}

const start = (callSid: string, customParameters: Record<string, string>, accountSid = ACCOUNT): ReceivedStart => ({
  streamSid: 'MZ' + randomBytes(16).toString('hex'),
  callSid,
  accountSid,
  customParameters,
  mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
});
const refusal = (verdict: StartVerdict | Promise<StartVerdict>) => (verdict as StartVerdict).accepted ? 'accepted' : (verdict as { reason: string }).reason;

describe('StreamStartVerifier', () => {
  it("accepts a Twilio stream with its call's token, once; the parameters it hands on carry no credentials", () => {
    const { credentials, verifier } = setUp();
    const callSid = 'CA' + 'a'.repeat(32);
    const token = credentials.mintTwilioToken(callSid, ACCOUNT);
    const verdict = verifier.verify(start(callSid, { From: '+1', StreamToken: token }), 'twilio') as StartVerdict;
    expect(verdict).toMatchObject({ accepted: true, start: { origin: 'twilio', customParameters: { From: '+1' }, context: undefined } });
    // Replayed while the call streams, and after it ended: the token was used.
    expect(refusal(verifier.verify(start(callSid, { StreamToken: token }), 'twilio'))).toBe('already-used');
    if (verdict.accepted) verdict.release();
    expect(refusal(verifier.verify(start(callSid, { StreamToken: token }), 'twilio'))).toBe('already-used');
    // A fresh token for the same call (Twilio re-fetched the TwiML) may stream it once the first stream ended.
    expect(refusal(verifier.verify(start(callSid, { StreamToken: credentials.mintTwilioToken(callSid, ACCOUNT) }), 'twilio'))).toBe('accepted');
    expect(verifier.refusals.get('already-used')).toBe(2);
  });

  it('refuses a start that claims another call, another account, no token, or the wrong kind of token', () => {
    const { credentials, verifier } = setUp();
    const token = credentials.mintTwilioToken('CA' + 'a'.repeat(32), ACCOUNT);
    expect(refusal(verifier.verify(start('CA' + 'b'.repeat(32), { StreamToken: token }), 'twilio'))).toBe('not-valid-for-call');
    expect(refusal(verifier.verify(start('CA' + 'a'.repeat(32), { StreamToken: token }, 'AC' + '2'.repeat(32)), 'twilio'))).toBe('wrong-account');
    expect(refusal(verifier.verify(start('CA' + 'a'.repeat(32), {}), 'twilio'))).toBe('no-token');
    expect(refusal(verifier.verify(start('CA' + 'a'.repeat(32), { StreamToken: token }), 'softphone'))).toBe('wrong-kind');
    const softphone = credentials.mintSoftphoneCall();
    expect(refusal(verifier.verify(start(softphone.callSid, { StreamToken: softphone.token }), 'twilio'))).toBe('wrong-kind');
    expect(refusal(verifier.verify(start(softphone.callSid, { StreamToken: softphone.token }, 'ACwhatever'), 'softphone'))).toBe('accepted');
  });

  it('hands on the call context the token was bound to, and refuses a context swapped from another call', () => {
    const { credentials, verifier } = setUp();
    const ours = credentials.sealContext({ profile: 'reminders', variables: { name: 'Ada' } });
    const theirs = credentials.sealContext({ profile: 'vip', variables: { name: 'Eve' } });
    const callSid = 'CA' + 'c'.repeat(32);
    const token = credentials.mintTwilioToken(callSid, ACCOUNT, ours);
    const parameters = (sealed: string) => Object.fromEntries(callContextParameters(sealed).map((p) => [p.name, p.value]));
    expect(refusal(verifier.verify(start(callSid, { ...parameters(theirs), StreamToken: token }), 'twilio'))).toBe('not-valid-for-call');
    const verdict = verifier.verify(start(callSid, { ...parameters(ours), StreamToken: token }), 'twilio') as StartVerdict;
    expect(verdict).toMatchObject({ accepted: true, start: { context: { profile: 'reminders', variables: { name: 'Ada' } }, customParameters: {} } });
  });

  it('waits for an asynchronous claim (a shared store), and refuses when it fails', async () => {
    class SlowClaims extends StreamClaims {
      constructor(private readonly answer: Promise<boolean>) {
        super();
      }
      claim() {
        return this.answer;
      }
      release() {}
    }
    const ok = setUp(new SlowClaims(Promise.resolve(true)));
    const callSid = 'CA' + 'd'.repeat(32);
    const verdict = ok.verifier.verify(start(callSid, { StreamToken: ok.credentials.mintTwilioToken(callSid, ACCOUNT) }), 'twilio');
    expect(verdict).toBeInstanceOf(Promise);
    expect((await verdict).accepted).toBe(true);
    const down = setUp(new SlowClaims(Promise.reject(new Error('Redis is down'))));
    expect(refusal(await down.verifier.verify(start(callSid, { StreamToken: down.credentials.mintTwilioToken(callSid, ACCOUNT) }), 'twilio'))).toBe('claim-failed');
  });
});
