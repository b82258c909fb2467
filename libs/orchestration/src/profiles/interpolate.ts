/** The longest value a placeholder is filled with; longer values are cut (with an ellipsis). */
export const MAX_INTERPOLATED_LENGTH = 500;

/**
 * Fills `{{name}}` placeholders from the call's variables; unknown names become empty. Every value
 * comes from outside the instructions' author (the caller's number, stream parameters, the
 * variables of `POST /calls`), so it goes in as data: control characters removed, cut to
 * MAX_INTERPOLATED_LENGTH, and quoted as a JSON string (its own quotes escaped), never as text that
 * could read as further instructions.
 */
export function interpolate(template: string, variables: Readonly<Record<string, string>>, options: { quoted?: boolean } = {}): string {
  const fill = options.quoted === false ? cleanValue : quoteForInstructions;
  return template.replace(/\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g, (_match, name: string) =>
    Object.prototype.hasOwnProperty.call(variables, name) ? fill(variables[name]) : '',
  );
}

/** A value as plain text (for what Twilio says, never for instructions): no control characters, bounded. */
export function cleanValue(value: string): string {
  let clean = value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();
  if (clean.length > MAX_INTERPOLATED_LENGTH) clean = clean.slice(0, MAX_INTERPOLATED_LENGTH - 1) + '…';
  return clean;
}

/** A value as data inside instructions: no control characters, bounded, quoted. */
export function quoteForInstructions(value: string): string {
  // C0 and C1 controls, DEL, and the Unicode line and paragraph separators all become spaces.
  return JSON.stringify(cleanValue(value));
}
