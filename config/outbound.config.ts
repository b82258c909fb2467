import type { OutboundOptions } from '@app/orchestration';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { commaSeparated, EmptyMeansUnset, ToNumber } from './config-owner';
import type { ConfigOwner } from './config-owner';

/** Outbound calls (`POST /calls`, libs/orchestration): where they may go and how many (toll-fraud controls). */
export class OutboundVariables {
  /** ISO 3166 country codes calls may be placed to; unset: the country of TWILIO_PHONE_NUMBER. */
  @EmptyMeansUnset()
  @IsOptional()
  @Matches(/^\s*[A-Za-z]{2}\s*(,\s*[A-Za-z]{2}\s*)*$/, { message: 'OUTBOUND_ALLOWED_COUNTRIES must be comma-separated two-letter country codes, e.g. US,CA' })
  OUTBOUND_ALLOWED_COUNTRIES?: string;

  /** E.164 prefixes always allowed, even if premium, high-risk or outside the allowed countries (explicit exceptions). */
  @EmptyMeansUnset()
  @IsOptional()
  @Matches(/^\s*\+\d{1,14}\s*(,\s*\+\d{1,14}\s*)*$/, { message: 'OUTBOUND_ALLOWED_PREFIXES must be comma-separated E.164 prefixes, e.g. +1900555,+44' })
  OUTBOUND_ALLOWED_PREFIXES?: string;

  /** Calls one API key may place per minute. */
  @ToNumber() @IsInt() @Min(1) @Max(100_000)
  OUTBOUND_CALLS_PER_MINUTE: number;

  /** Calls placed by one API key that may be ringing or live at once. */
  @ToNumber() @IsInt() @Min(1) @Max(100_000)
  OUTBOUND_MAX_CONCURRENT_CALLS_PER_KEY: number;
}

export const outboundConfig: ConfigOwner<OutboundOptions> = {
  variables: OutboundVariables,
  defaults: { all: { OUTBOUND_CALLS_PER_MINUTE: '10', OUTBOUND_MAX_CONCURRENT_CALLS_PER_KEY: '10' } },
  section: (env) => ({
    allowedCountries: env.OUTBOUND_ALLOWED_COUNTRIES ? commaSeparated(env.OUTBOUND_ALLOWED_COUNTRIES).map((c) => c.toUpperCase()) : undefined,
    allowedPrefixes: commaSeparated(env.OUTBOUND_ALLOWED_PREFIXES),
    callsPerMinute: env.OUTBOUND_CALLS_PER_MINUTE,
    maxConcurrentCallsPerKey: env.OUTBOUND_MAX_CONCURRENT_CALLS_PER_KEY,
  }),
};
