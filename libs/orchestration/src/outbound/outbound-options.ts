/** The toll-fraud controls of `POST /calls`. */
export interface OutboundOptions {
  /** ISO 3166 codes calls may go to; undefined: the country of the default `from` number (none without one). */
  allowedCountries?: string[];
  /** E.164 prefixes allowed whatever their type, risk or country (explicit exceptions). */
  allowedPrefixes: string[];
  /** Calls one API key may place per minute (a rate limit of `POST /calls`). */
  callsPerMinute: number;
  /** Calls placed by one API key that may be ringing or live at once. */
  maxConcurrentCallsPerKey: number;
}
