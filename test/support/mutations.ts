/**
 * Deterministic mutants of a text (1 to 3 characters replaced, inserted or deleted, drawn from
 * `alphabet`), for checking that a fast parser never accepts what the full parser would not.
 */
export function* mutationsOf(original: string, options: { count: number; seed: number; alphabet: string }): Generator<string> {
  let state = options.seed;
  const random = () => (state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const { alphabet } = options;
  for (let i = 0; i < options.count; i++) {
    const chars = [...original];
    for (let edits = 1 + Math.floor(random() * 3); edits > 0; edits--) {
      const at = Math.floor(random() * chars.length);
      const action = random();
      const char = alphabet[Math.floor(random() * alphabet.length)];
      if (action < 0.4) chars[at] = char;
      else if (action < 0.7) chars.splice(at, 0, char);
      else chars.splice(at, 1);
    }
    yield chars.join('');
  }
}
