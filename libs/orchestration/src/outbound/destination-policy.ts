import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { NumberType } from 'libphonenumber-js/max';

export type DestinationRefusal = 'invalid-number' | 'high-risk-range' | 'non-geographic' | 'premium-or-special' | 'country-not-allowed';

export type DestinationDecision = { allowed: true } | { allowed: false; reason: DestinationRefusal; message: string };

/** Number types that cost the caller more than a call, or reach no person: never dialled (unless a prefix is allowed explicitly). */
const REFUSED_TYPES = new Set<NumberType>(['PREMIUM_RATE', 'SHARED_COST', 'PERSONAL_NUMBER', 'UAN', 'PAGER', 'VOICEMAIL']);

/**
 * Ranges known for high cost and international revenue-share fraud, refused even inside an allowed
 * country: defence in depth behind the country allow-list and the number types. Only an explicit
 * OUTBOUND_ALLOWED_PREFIXES entry opens one.
 */
export const HIGH_RISK_PREFIXES: readonly string[] = [
  // NANP pay-per-call, and the Caribbean area codes of "one ring" scams (FTC/FCC advisories).
  '+1900', '+1268', '+1284', '+1473', '+1649', '+1664', '+1767', '+1809', '+1829', '+1849', '+1876',
  // ITU non-geographic codes: satellite, international networks, premium and shared-cost services.
  '+800', '+808', '+870', '+871', '+872', '+873', '+874', '+878', '+881', '+882', '+883', '+888', '+979', '+991',
  // Small and remote destinations common in revenue-share fraud.
  '+247', '+290', '+500', '+53', '+371', '+252', '+239', '+269', '+592', '+672',
  '+675', '+677', '+678', '+679', '+680', '+681', '+682', '+683', '+685', '+686', '+687', '+688', '+689', '+690', '+691', '+692',
];

/** The ISO country of an E.164 number (libphonenumber's metadata, not its prefix: +1 covers some twenty countries). */
export function countryOfNumber(number: string): string | undefined {
  return parsePhoneNumberFromString(number)?.country;
}

/**
 * Where an outbound call may go. Decided with libphonenumber's metadata rather than raw prefixes:
 * the number must be valid, in an allowed country, not of a premium or special type, and not in a
 * known high-risk range. A configured prefix exception is allowed whatever it is.
 */
export class DestinationPolicy {
  constructor(private readonly rules: { allowedCountries: readonly string[]; allowedPrefixes: readonly string[] }) {}

  check(number: string): DestinationDecision {
    if (this.rules.allowedPrefixes.some((prefix) => number.startsWith(prefix))) return { allowed: true };
    const refuse = (reason: DestinationRefusal, why: string): DestinationDecision => ({
      allowed: false,
      reason,
      message: `${number} ${why}: outbound calls to it are refused (an explicit exception can be made with OUTBOUND_ALLOWED_PREFIXES)`,
    });
    const parsed = parsePhoneNumberFromString(number);
    if (!parsed || !parsed.isValid()) return refuse('invalid-number', 'is not a valid phone number');
    if (HIGH_RISK_PREFIXES.some((prefix) => number.startsWith(prefix))) return refuse('high-risk-range', 'is in a range known for high cost and toll fraud');
    if (!parsed.country) return refuse('non-geographic', 'belongs to no country (a satellite, network or global service number)');
    const type = parsed.getType();
    if (type && REFUSED_TYPES.has(type)) return refuse('premium-or-special', `is a ${type.toLowerCase().replace(/_/g, '-')} number`);
    if (!this.rules.allowedCountries.includes(parsed.country)) {
      const allowed = this.rules.allowedCountries.length ? this.rules.allowedCountries.join(', ') : 'none configured';
      return refuse('country-not-allowed', `is in ${parsed.country}, not an allowed country (OUTBOUND_ALLOWED_COUNTRIES: ${allowed})`);
    }
    return { allowed: true };
  }
}
