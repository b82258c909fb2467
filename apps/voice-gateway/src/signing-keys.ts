import { deriveSigningKeys } from '@app/auth';
import type { SigningKeys } from '@app/auth';
import type { GatewayConfig } from '@app/config';
import { randomBytes } from 'node:crypto';

/** Used in `local` when neither GATEWAY_SIGNING_SECRET nor TWILIO_AUTH_TOKEN is set: tokens then work in this process only. */
let processSecret: Buffer | undefined;

/** The gateway's per-purpose signing keys, derived from its signing secret (or this process's random one, in `local`). */
export function gatewaySigningKeys(config: GatewayConfig): SigningKeys {
  return deriveSigningKeys(config.auth.signingSecret ?? (processSecret ??= randomBytes(32)));
}

/** True when the keys are this process's own (no secret configured): nothing it signs is valid on another instance. */
export function usesProcessSigningKey(config: GatewayConfig): boolean {
  return config.auth.signingSecret === undefined;
}
