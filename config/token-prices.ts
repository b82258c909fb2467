import { PRICE_KINDS } from '@app/call-records';
import type { ModelPrices, PriceOverrides } from '@app/call-records';

const VARIABLE = 'TOKEN_PRICES_USD_PER_MILLION';
/** The one-set-for-all form's old name for both cached kinds. */
const CACHED_SHORTHAND = 'cachedInput';

/**
 * Reads TOKEN_PRICES_USD_PER_MILLION. Empty: the built-in table only. A JSON object of price
 * kinds: those prices for every Realtime model. A JSON object of objects: price sets by model,
 * each replacing that model's entry of the table. In every set a kind left out costs 0, and
 * `cachedInput` stands for both `cachedInputText` and `cachedInputAudio`.
 */
export function parseTokenPrices(json: string): PriceOverrides | undefined {
  if (json.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error(`${VARIABLE}: not valid JSON`);
  }
  if (!isObject(parsed)) throw new Error(`${VARIABLE}: must be a JSON object`);
  const values = Object.values(parsed);
  if (values.length > 0 && values.every(isObject)) {
    const byModel: Record<string, ModelPrices> = {};
    for (const [model, prices] of Object.entries(parsed)) byModel[model] = priceSet(prices as Record<string, unknown>, `"${model}".`);
    return { byModel };
  }
  if (values.some(isObject)) throw new Error(`${VARIABLE}: give either prices for every model ({"inputText":4,…}) or prices by model ({"gpt-realtime-2.1":{…}}), not both`);
  return { allRealtimeModels: priceSet(parsed, '') };
}

function priceSet(raw: Record<string, unknown>, where: string): ModelPrices {
  const prices: ModelPrices = {};
  const known = [...PRICE_KINDS, CACHED_SHORTHAND];
  for (const [kind, value] of Object.entries(raw)) {
    if (!known.includes(kind)) throw new Error(`${VARIABLE}: unknown price ${where}"${kind}" (known: ${known.join(', ')})`);
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new Error(`${VARIABLE}: ${where}"${kind}" must be a non-negative number`);
    if (kind === CACHED_SHORTHAND) {
      prices.cachedInputText ??= value;
      prices.cachedInputAudio ??= value;
    } else {
      prices[kind as keyof ModelPrices] = value;
    }
  }
  return prices;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
