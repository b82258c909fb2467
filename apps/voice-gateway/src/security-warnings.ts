import type { GatewayConfig } from '@app/config';
import { TWILIO_ROUTES } from '@app/telephony';
import { usesProcessSigningKey } from './signing-keys';

export interface SecurityWarning {
  level: 'error' | 'warn' | 'log';
  message: string;
}

/**
 * What the gateway says at every start about doors left open, or closed for want of a setting, so
 * an operator never runs open without having been told (errors in production).
 */
export function securityWarnings(config: GatewayConfig, signatures: { enabled: boolean; refusesEverything: boolean }): SecurityWarning[] {
  const warnings: SecurityWarning[] = [];
  const level = config.server.environment === 'production' ? 'error' : 'warn';
  const simulatorOnLaptop =
    config.server.environment === 'local' && !config.realtime.apiKey && !config.telephony.publicUrl && !config.telephony.authToken;
  if (!signatures.enabled && simulatorOnLaptop) {
    warnings.push({
      level: 'log',
      message:
        'Twilio signatures are not checked: every call is simulated (no OPENAI_API_KEY) and the gateway is meant for this machine. ' +
        'They are checked as soon as OPENAI_API_KEY, PUBLIC_URL or TWILIO_AUTH_TOKEN is set.',
    });
  } else if (!signatures.enabled) {
    warnings.push({
      level,
      message:
        `TWILIO SIGNATURE VALIDATION IS OFF: anyone who can reach ${TWILIO_ROUTES.incomingCall} and ${TWILIO_ROUTES.mediaStream} can run calls on the OpenAI key. ` +
        'Set TWILIO_AUTH_TOKEN (and leave TWILIO_VALIDATE_SIGNATURES unset) to turn it on.',
    });
  } else if (signatures.refusesEverything) {
    warnings.push({
      level,
      message:
        'Twilio requests are refused: signatures must be checked (a real OpenAI key or PUBLIC_URL is set) and TWILIO_AUTH_TOKEN is not set, ' +
        `so every ${TWILIO_ROUTES.incomingCall} webhook and ${TWILIO_ROUTES.mediaStream} upgrade answers 403. Set TWILIO_AUTH_TOKEN to take calls ` +
        '(or TWILIO_VALIDATE_SIGNATURES=false to accept unsigned ones, which lets anyone who can reach the gateway use the OpenAI key).',
    });
  }
  if (config.auth.unscopedKeys > 0) {
    warnings.push({
      level: 'warn',
      message:
        `${config.auth.unscopedKeys} of the API_KEYS have every scope (placing calls, reading and erasing records, the console): ` +
        'give each key only what it needs, e.g. key:calls or key:records',
    });
  }
  if (usesProcessSigningKey(config)) {
    warnings.push({
      level: 'log',
      message:
        'No GATEWAY_SIGNING_SECRET or TWILIO_AUTH_TOKEN: stream tokens, call contexts and console tokens are signed with a random key of this ' +
        'process, so they work on this process only (and not across a restart)',
    });
  }
  return warnings;
}
