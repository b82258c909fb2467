import { describe, expect, it } from 'vitest';
import { luhnValid, parseRedactionKinds, TranscriptRedactor } from './transcript-redactor';

const all = new TranscriptRedactor(['card', 'email', 'phone']);

describe('TranscriptRedactor', () => {
  it('redacts card numbers that pass the Luhn check, with spaces or dashes', () => {
    expect(all.redact('my card is 4111 1111 1111 1111, expiry 12/29')).toBe('my card is [card], expiry 12/29');
    expect(all.redact('4111-1111-1111-1111')).toBe('[card]');
    expect(all.redact('amex 378282246310005 ok')).toBe('amex [card] ok');
    expect(all.redact('5555555555554444.')).toBe('[card].');
  });

  it('keeps digit runs that fail the Luhn check or have the wrong length', () => {
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(all.redact('reference 4111 1111 1111 1112')).toBe('reference 4111 1111 1111 1112');
    expect(all.redact('order 123456789012')).toBe('order 123456789012');
  });

  it('redacts e-mail addresses', () => {
    expect(all.redact('write to ada.lovelace+calls@example.co.uk please')).toBe('write to [email] please');
    expect(all.redact('at @home, or name@localhost')).toBe('at @home, or name@localhost');
  });

  it('redacts phone numbers in E.164 and common national forms', () => {
    expect(all.redact('call +15551230001 back')).toBe('call [phone] back');
    expect(all.redact('+44 20 7946 0958')).toBe('[phone]');
    expect(all.redact('my number is (555) 123-4567.')).toBe('my number is [phone].');
    expect(all.redact('555-123-4567 or 555.123.4567 or 555 123 4567')).toBe('[phone] or [phone] or [phone]');
    expect(all.redact('ring 020 7946 0958 today')).toBe('ring [phone] today');
  });

  it('leaves times, amounts, dates, years and short numbers alone', () => {
    const safe = [
      'see you at 10:30 on 2026-12-01',
      'it costs $1,250,000.00 or 1.234.567.890 euros',
      'room 1203, extension 4411, order 55512',
      'between 2019 and 2021, about 3 500 people',
      'the code is 123 456',
      'version 10.2.3.4',
    ];
    for (const text of safe) expect(all.redact(text), text).toBe(text);
  });

  it('redacts only the kinds it is given, and every string of a tool call', () => {
    const emailOnly = new TranscriptRedactor(['email']);
    expect(emailOnly.redact('ada@example.com +15551230001')).toBe('[email] +15551230001');
    expect(emailOnly.applied).toEqual(['email']);
    expect(all.redactValue({ to: '+15551230001', n: 3, list: ['ada@example.com', null], nested: { card: '4111111111111111' } })).toEqual({
      to: '[phone]',
      n: 3,
      list: ['[email]', null],
      nested: { card: '[card]' },
    });
    expect(new TranscriptRedactor([]).redact('ada@example.com')).toBe('ada@example.com');
  });

  it('reads the setting: off, all, or a list; an unknown kind is an error', () => {
    expect(parseRedactionKinds('off')).toEqual([]);
    expect(parseRedactionKinds('all')).toEqual(['card', 'email', 'phone']);
    expect(parseRedactionKinds(' phone, card ')).toEqual(['card', 'phone']);
    expect(() => parseRedactionKinds('card,ssn')).toThrow(/ssn/);
  });
});
