import { describe, expect, it } from 'vitest';
import { loadGatewayConfig } from '@app/config';
import { securityWarnings } from './security-warnings';

const KEY = 'sk-real-looking-0123456789abcdef';

describe('securityWarnings', () => {
  const messages = (env: NodeJS.ProcessEnv, signatures: { enabled: boolean; refusesEverything: boolean }) =>
    securityWarnings(loadGatewayConfig(env), signatures).map((w) => `${w.level}: ${w.message}`);

  it('warns at every start when signature checks are switched off (an error in production)', () => {
    expect(messages({ OPENAI_API_KEY: KEY, TWILIO_VALIDATE_SIGNATURES: 'false' }, { enabled: false, refusesEverything: false })).toEqual(
      expect.arrayContaining([expect.stringMatching(/^warn: TWILIO SIGNATURE VALIDATION IS OFF/)]),
    );
    const production = { NODE_ENV: 'production', OPENAI_API_KEY: KEY, PUBLIC_URL: 'https://voice.example.com', GATEWAY_SIGNING_SECRET: 'x'.repeat(32), SINGLE_REPLICA: 'true', TWILIO_VALIDATE_SIGNATURES: 'false' };
    expect(messages(production, { enabled: false, refusesEverything: false })[0]).toMatch(/^error: TWILIO SIGNATURE VALIDATION IS OFF/);
  });

  it('on the embedded simulator on a laptop, only notes that signatures are not checked (no key to spend)', () => {
    expect(messages({}, { enabled: false, refusesEverything: false })[0]).toMatch(/^log: Twilio signatures are not checked: every call is simulated/);
  });

  it('says why Twilio requests are refused when there is no token to check them with', () => {
    expect(messages({ OPENAI_API_KEY: KEY }, { enabled: true, refusesEverything: true })[0]).toMatch(/^warn: Twilio requests are refused/);
  });

  it('names unscoped API keys (never the keys) and a per-process signing key', () => {
    const all = messages({ API_KEYS: 'an-unscoped-key-0123456789,a-scoped-key-0123456789:records' }, { enabled: false, refusesEverything: false });
    expect(all.join('\n')).not.toContain('VALIDATION IS OFF');
    expect(all.join('\n')).toContain('1 of the API_KEYS have every scope');
    expect(all.join('\n')).not.toContain('an-unscoped-key');
    expect(all.join('\n')).toContain('work on this process only');
    expect(messages({ TWILIO_AUTH_TOKEN: 'twilio-token-0123456789' }, { enabled: true, refusesEverything: false })).toEqual([]);
  });
});
