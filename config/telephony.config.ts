import type { TwilioModuleOptions } from '@app/telephony';
import { IsIn, IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min, MinLength } from 'class-validator';
import { EmptyMeansUnset, ToNumber } from './config-owner';
import type { ConfigOwner } from './config-owner';

/** Twilio: TwiML, the media stream, request signatures and the REST API (libs/telephony). */
export class TelephonyVariables {
  /** Public base URL Twilio reaches the gateway at (no trailing slash); unset: derived from each request's headers. */
  @EmptyMeansUnset()
  @IsOptional()
  @IsUrl({ protocols: ['https', 'http'], require_tld: false, require_protocol: true })
  @Matches(/^[^?#]*[^/?#]$/, { message: 'PUBLIC_URL must be a base URL without a trailing slash, query or fragment' })
  PUBLIC_URL?: string;

  @EmptyMeansUnset()
  @IsOptional()
  @Matches(/^AC[0-9a-fA-F]{32}$/, { message: 'TWILIO_ACCOUNT_SID must look like AC followed by 32 hex digits' })
  TWILIO_ACCOUNT_SID?: string;

  @EmptyMeansUnset() @IsOptional() @IsString() @MinLength(16)
  TWILIO_AUTH_TOKEN?: string;

  /** `false` turns Twilio signature validation off; in production without a token it must be set explicitly. */
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

export const telephonyConfig: ConfigOwner<TwilioModuleOptions> = {
  variables: TelephonyVariables,
  defaults: {
    all: { TWILIO_API_BASE_URL: 'https://api.twilio.com', TWIML_WELCOME_MESSAGE: '', MEDIA_STREAM_START_TIMEOUT_MS: '5000' },
  },
  check(env, isValid) {
    const off = env.TWILIO_VALIDATE_SIGNATURES === 'false';
    if (env.NODE_ENV !== 'production' || env.TWILIO_AUTH_TOKEN || off || !isValid('TWILIO_VALIDATE_SIGNATURES')) return [];
    return ['TWILIO_AUTH_TOKEN: is required in production to validate Twilio signatures; to run without validation set TWILIO_VALIDATE_SIGNATURES=false explicitly'];
  },
  section: (env) => ({
    accountSid: env.TWILIO_ACCOUNT_SID,
    authToken: env.TWILIO_AUTH_TOKEN,
    // Validation runs whenever a token is set, unless switched off explicitly.
    validateSignatures: env.TWILIO_VALIDATE_SIGNATURES !== 'false',
    apiBaseUrl: env.TWILIO_API_BASE_URL.replace(/\/+$/, ''),
    phoneNumber: env.TWILIO_PHONE_NUMBER,
    publicUrl: env.PUBLIC_URL,
    welcomeMessage: env.TWIML_WELCOME_MESSAGE,
    mediaStreamStartTimeoutMs: env.MEDIA_STREAM_START_TIMEOUT_MS,
  }),
};
