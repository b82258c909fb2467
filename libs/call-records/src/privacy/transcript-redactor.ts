/** The kinds of personal data the redaction pass finds in transcripts and tool calls. */
export const PII_KINDS = ['card', 'email', 'phone'] as const;
export type PiiKind = (typeof PII_KINDS)[number];

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
/** 13–19 digits, single spaces or dashes between them; the Luhn check decides. */
const CARD_CANDIDATE = /(?<![\d.,])\d(?:[ -]?\d){12,18}(?![\d]|[.,]\d)/g;
/**
 * A run of digits with the separators phone numbers are written with (spaces, dashes, dots,
 * parentheses), optionally after `+`; the digit count decides.
 */
const PHONE_CANDIDATE = /(?<![\w+.,:/$€£])(?:\+\s?)?\(?\d[\d\s().-]{5,22}\d(?![\w]|[.,:]\d)/g;
/** `1.234.567.890`: a number with dots as thousands separators, not a phone number. */
const DOTTED_THOUSANDS = /^\d{1,3}(?:\.\d{3})+$/;

/** True when the digits pass the Luhn check of card numbers. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

function isPhoneNumber(candidate: string): boolean {
  const digits = candidate.replace(/\D/g, '');
  if (candidate.startsWith('+')) return digits.length >= 8 && digits.length <= 15;
  // National forms: (555) 123-4567, 555-123-4567, 020 7946 0958, 0171 1234567. Shorter runs (times,
  // amounts, years, extensions, order numbers of a few digits) are left alone.
  if (digits.length < 10 || digits.length > 11) return false;
  if (DOTTED_THOUSANDS.test(candidate)) return false;
  // Unbalanced parentheses are not a phone number's.
  return (candidate.match(/\(/g)?.length ?? 0) === (candidate.match(/\)/g)?.length ?? 0);
}

/**
 * Replaces card numbers (Luhn-checked), e-mail addresses and phone numbers (E.164 and common
 * national forms) with `[card]`, `[email]`, `[phone]`. A plain per-process object: its patterns are
 * compiled once; `redact` runs once per stored turn, never per audio frame.
 */
export class TranscriptRedactor {
  private readonly kinds: ReadonlySet<PiiKind>;

  constructor(kinds: readonly PiiKind[]) {
    this.kinds = new Set(kinds);
  }

  /** The kinds this pass redacts, in a stable order. */
  get applied(): PiiKind[] {
    return PII_KINDS.filter((kind) => this.kinds.has(kind));
  }

  get enabled(): boolean {
    return this.kinds.size > 0;
  }

  redact(text: string): string {
    if (this.kinds.size === 0 || text.length === 0) return text;
    let out = text;
    if (this.kinds.has('email')) out = out.replace(EMAIL, '[email]');
    if (this.kinds.has('card')) out = out.replace(CARD_CANDIDATE, (match) => (luhnValid(match.replace(/\D/g, '')) ? '[card]' : match));
    if (this.kinds.has('phone')) out = out.replace(PHONE_CANDIDATE, (match) => (isPhoneNumber(match) ? '[phone]' : match));
    return out;
  }

  /** Every string inside a JSON-like value (tool-call arguments and results), redacted; other values as they are. */
  redactValue(value: unknown, depth = 0): unknown {
    if (this.kinds.size === 0) return value;
    if (typeof value === 'string') return this.redact(value);
    if (value === null || typeof value !== 'object' || depth > 32) return value;
    if (Array.isArray(value)) return value.map((item) => this.redactValue(item, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) out[key] = this.redactValue(item, depth + 1);
    return out;
  }
}

/** Reads TRANSCRIPT_REDACTION-style text: `off`, `all`, or a comma list of kinds. Throws on an unknown kind. */
export function parseRedactionKinds(text: string): PiiKind[] {
  const value = text.trim().toLowerCase();
  if (value === '' || value === 'off') return [];
  if (value === 'all') return [...PII_KINDS];
  const kinds = value.split(',').map((kind) => kind.trim()).filter(Boolean);
  const unknown = kinds.filter((kind) => !(PII_KINDS as readonly string[]).includes(kind));
  if (unknown.length > 0) throw new Error(`unknown redaction kind(s) ${unknown.join(', ')}: use off, all, or a comma list of ${PII_KINDS.join(', ')}`);
  return PII_KINDS.filter((kind) => kinds.includes(kind));
}
