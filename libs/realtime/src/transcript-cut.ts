/**
 * The first `fraction` of `text`, ending at a whole word: what the caller heard of an interrupted
 * assistant turn, given the share of its audio they heard. OpenAI's transcript is not time-aligned
 * to the audio, so the share of characters stands in for the share of time (an estimate).
 */
export function cutAtWord(text: string, fraction: number): string {
  if (fraction >= 1) return text;
  const end = Math.floor(text.length * fraction);
  if (end <= 0) return '';
  if (end >= text.length || /\s/.test(text[end])) return text.slice(0, end).trimEnd();
  const lastSpace = text.lastIndexOf(' ', end);
  return lastSpace <= 0 ? '' : text.slice(0, lastSpace).trimEnd();
}
