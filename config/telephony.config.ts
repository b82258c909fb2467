import type { TwilioModuleOptions } from '@app/telephony';
import { IsIn, IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min, MinLength } from 'class-validator';
import { EmptyMeansUnset, ToNumber } from './config-owner';
import type { ConfigOwner } from './config-owner';
import type { EnvironmentVariables } from './environment';

/** Twilio: TwiML, the media stream, request signatures and the REST API (libs/telephony). */
export class TelephonyVariables {
  /** Public base URL Twilio reaches the gateway at (no trailing slash); required in production unless TRUST_PROXY_HEADERS=true. */
  @EmptyMeansUnset()
  @IsOptional()
  @IsUrl({ protocols: ['https', 'http'], require_tld: false, require_protocol: true })
  @Matches(/^[^?#]*[^/?#]$/, { message: 'PUBLIC_URL must be a base URL without a trailing slash, query or fragment' })
  PUBLIC_URL?: string;

  /** `true`: without PUBLIC_URL, build URLs from X-Forwarded-Proto / X-Forwarded-Host / Host (only behind a proxy that sets them). */
  @IsIn(['true', 'false'])
  TRUST_PROXY_HEADERS: 'true' | 'false';

  @EmptyMeansUnset()
  @IsOptional()
  @Matches(/^AC[0-9a-fA-F]{32}$/, { message: 'TWILIO_ACCOUNT_SID must look like AC followed by 32 hex digits' })
  TWILIO_ACCOUNT_SID?: string;

  @EmptyMeansUnset() @IsOptional() @IsString() @MinLength(16)
  TWILIO_AUTH_TOKEN?: string;

  /** `false` turns Twilio signature validation off explicitly; unset: on, except for the simulator on a laptop. */
  @EmptyMeansUnset()
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'TWILIO_VALIDATE_SIGNATURES must be true or false' })
  TWILIO_VALIDATE_SIGNATURES?: 'true' | 'false';

  /** Twilio REST base URL; point it at a fake in tests. */
  @IsUrl({ protocols: ['https', 'http'], require_tld: false, require_protocol: true })
  TWILIO_API_BASE_URL: string;

  /** Default `from` number for outbound calls (E.164). */
  @IsOptional() @Matches(/^\+[1-9]\d{6,14}$/, { message: 'TWILIO_PHONE_NUMBER must be an E.164 number such as +15551234567' })
  TWILIO_PHONE_NUMBER?: string;

  /** Spoken by Twilio (<Say>) before the stream connects; empty means none. */
  @IsString()
  TWIML_WELCOME_MESSAGE: string;

  /** How long a media-stream socket may stay open without sending `start`. */
  @ToNumber() @IsInt() @Min(100) @Max(60000)
  MEDIA_STREAM_START_TIMEOUT_MS: number;
}

/**
 * Signature checks are on unless switched off explicitly, with one exception that opens no door:
 * `local` on the embedded simulator (no OpenAI key), with no public URL and no auth token, where
 * only this machine can call in and every call is simulated.
 */
export function validatesSignatures(env: EnvironmentVariables): boolean {
  if (env.TWILIO_VALIDATE_SIGNATURES === 'false') return false;
  const simulatorOnLaptop = env.NODE_ENV === 'local' && !env.OPENAI_API_KEY && !env.PUBLIC_URL && !env.TWILIO_AUTH_TOKEN;
  return env.TWILIO_VALIDATE_SIGNATURES === 'true' || !simulatorOnLaptop;
}

/** The telephony section: TwilioModule's options but the signing keys, which the application derives. */
export type TelephonySection = Omit<TwilioModuleOptions, 'keys'>;

export const telephonyConfig: ConfigOwner<TelephonySection> = {
  variables: TelephonyVariables,
  defaults: {
    all: { TWILIO_API_BASE_URL: 'https://api.twilio.com', TWIML_WELCOME_MESSAGE: '', MEDIA_STREAM_START_TIMEOUT_MS: '5000', TRUST_PROXY_HEADERS: 'false' },
  },
  check(env, isValid) {
    if (env.NODE_ENV !== 'production') return [];
    const problems: string[] = [];
    const off = env.TWILIO_VALIDATE_SIGNATURES === 'false';
    if (!env.TWILIO_AUTH_TOKEN && !off && isValid('TWILIO_VALIDATE_SIGNATURES')) {
      problems.push('TWILIO_AUTH_TOKEN: is required in production to validate Twilio signatures; to run without validation set TWILIO_VALIDATE_SIGNATURES=false explicitly');
    }
    if (!env.PUBLIC_URL && env.TRUST_PROXY_HEADERS !== 'true' && isValid('PUBLIC_URL')) {
      problems.push(
        'PUBLIC_URL: is required in production: stream and callback URLs and signature checks are built from it, never from request ' +
          'headers; behind a proxy that sets X-Forwarded-Proto and X-Forwarded-Host, TRUST_PROXY_HEADERS=true is the alternative',
      );
    }
    return problems;
  },
  section: (env) => ({
    accountSid: env.TWILIO_ACCOUNT_SID,
    authToken: env.TWILIO_AUTH_TOKEN,
    validateSignatures: validatesSignatures(env),
    apiBaseUrl: env.TWILIO_API_BASE_URL.replace(/\/+$/, ''),
    phoneNumber: env.TWILIO_PHONE_NUMBER,
    publicUrl: env.PUBLIC_URL,
    trustProxyHeaders: env.TRUST_PROXY_HEADERS === 'true',
    welcomeMessage: env.TWIML_WELCOME_MESSAGE,
    mediaStreamStartTimeoutMs: env.MEDIA_STREAM_START_TIMEOUT_MS,
  }),
};
