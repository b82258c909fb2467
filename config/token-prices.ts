import type { TokenPrices } from '@app/call-records';

const PRICE_KINDS: (keyof TokenPrices)[] = ['inputText', 'inputAudio', 'cachedInput', 'outputText', 'outputAudio'];

/** Reads TOKEN_PRICES_USD_PER_MILLION; kinds it does not name cost 0. */
export function parseTokenPrices(json: string): TokenPrices {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error('TOKEN_PRICES_USD_PER_MILLION: not valid JSON');
  }
  const prices: TokenPrices = { inputText: 0, inputAudio: 0, cachedInput: 0, outputText: 0, outputAudio: 0 };
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('TOKEN_PRICES_USD_PER_MILLION: must be a JSON object');
  for (const [kind, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (!PRICE_KINDS.includes(kind as keyof TokenPrices)) throw new Error(`TOKEN_PRICES_USD_PER_MILLION: unknown price "${kind}" (known: ${PRICE_KINDS.join(', ')})`);
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new Error(`TOKEN_PRICES_USD_PER_MILLION: "${kind}" must be a non-negative number`);
    prices[kind as keyof TokenPrices] = value;
  }
  return prices;
}
