import { describe, expect, it } from 'vitest';
import { countryOfNumber, DestinationPolicy } from './destination-policy';

const us = new DestinationPolicy({ allowedCountries: ['US'], allowedPrefixes: [] });

describe('DestinationPolicy', () => {
  it('allows valid numbers of the allowed countries, decided by number metadata rather than by prefix', () => {
    expect(us.check('+14155550123')).toEqual({ allowed: true });
    expect(us.check('+18005551234')).toEqual({ allowed: true }); // toll-free costs the caller nothing extra
    expect(countryOfNumber('+16135550123')).toBe('CA'); // +1, but Canada
    expect(us.check('+16135550123')).toMatchObject({ allowed: false, reason: 'country-not-allowed' });
  });

  it.each([
    ['+19005551234', 'high-risk-range'], // US pay-per-call
    ['+18765551234', 'high-risk-range'], // Jamaica: a "one ring" area code inside +1
    ['+882161234567', 'high-risk-range'], // Thuraya (international networks)
    ['+2476000', 'invalid-number'], // Ascension: not even a valid number
    ['+5921234567', 'invalid-number'],
    ['+15551234567', 'invalid-number'], // 555 is no area code
    ['+33899123456', 'premium-or-special'], // French premium rate
    ['+442071234567', 'country-not-allowed'],
  ])('refuses %s (%s)', (number, reason) => {
    const policy = new DestinationPolicy({ allowedCountries: ['US', 'FR', 'JM'], allowedPrefixes: [] });
    expect(policy.check(number)).toMatchObject({ allowed: false, reason });
    expect((policy.check(number) as { message: string }).message).toContain(number);
  });

  it('keeps premium and high-risk ranges closed inside allowed countries unless a prefix is allowed explicitly', () => {
    expect(new DestinationPolicy({ allowedCountries: ['US'], allowedPrefixes: ['+1900555'] }).check('+19005551234')).toEqual({ allowed: true });
    expect(new DestinationPolicy({ allowedCountries: [], allowedPrefixes: [] }).check('+14155550123')).toMatchObject({ allowed: false, reason: 'country-not-allowed' });
  });
});
