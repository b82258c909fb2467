import { describe, expect, it } from 'vitest';
import { deriveSigningKeys } from '@app/auth';
import { loadGatewayConfig } from '@app/config';
import { ConsoleTokenService } from '@app/console';
import { gatewaySigningKeys, usesProcessSigningKey } from './signing-keys';

const SECRET = 'a-dedicated-signing-secret-0123456789';
const TWILIO_TOKEN = 'twilio-auth-token-0123456789abcdef';

/** A console token service as the application builds it for `env`. */
const consoleTokens = (env: NodeJS.ProcessEnv) => {
  const config = loadGatewayConfig(env);
  return new ConsoleTokenService({ ...config.console, enabled: true, tokenKey: gatewaySigningKeys(config)['console-token'] });
};

describe('gatewaySigningKeys', () => {
  it('derives every key from GATEWAY_SIGNING_SECRET, else from TWILIO_AUTH_TOKEN', () => {
    const both = gatewaySigningKeys(loadGatewayConfig({ GATEWAY_SIGNING_SECRET: SECRET, TWILIO_AUTH_TOKEN: TWILIO_TOKEN }));
    expect(both['console-token'].equals(deriveSigningKeys(SECRET)['console-token'])).toBe(true);
    expect(both['stream-token'].equals(deriveSigningKeys(SECRET)['stream-token'])).toBe(true);
    const tokenOnly = gatewaySigningKeys(loadGatewayConfig({ TWILIO_AUTH_TOKEN: TWILIO_TOKEN }));
    expect(tokenOnly['console-token'].equals(deriveSigningKeys(TWILIO_TOKEN)['console-token'])).toBe(true);
    // One key per purpose: a console token's key is no stream token's.
    expect(both['console-token'].equals(both['stream-token'])).toBe(false);
  });

  it("makes console tokens valid on every instance sharing the signing secret, whatever their Twilio token", () => {
    const issued = consoleTokens({ GATEWAY_SIGNING_SECRET: SECRET, TWILIO_AUTH_TOKEN: TWILIO_TOKEN }).issue().token;
    expect(consoleTokens({ GATEWAY_SIGNING_SECRET: SECRET, TWILIO_AUTH_TOKEN: 'another-twilio-token-0123456789' }).isValidToken(issued)).toBe(true);
    expect(consoleTokens({ GATEWAY_SIGNING_SECRET: 'another-signing-secret-0123456789ab', TWILIO_AUTH_TOKEN: TWILIO_TOKEN }).isValidToken(issued)).toBe(false);
    expect(consoleTokens({ TWILIO_AUTH_TOKEN: TWILIO_TOKEN }).isValidToken(issued)).toBe(false);
  });

  it('uses a random key of this process in local with no secret at all (tokens then work here only)', () => {
    const config = loadGatewayConfig({});
    expect(usesProcessSigningKey(config)).toBe(true);
    expect(usesProcessSigningKey(loadGatewayConfig({ TWILIO_AUTH_TOKEN: TWILIO_TOKEN }))).toBe(false);
    expect(gatewaySigningKeys(config)['console-token'].equals(deriveSigningKeys(TWILIO_TOKEN)['console-token'])).toBe(false);
  });
});
