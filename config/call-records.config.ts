import { ConfigType, registerAs } from '@nestjs/config';
import { readEnvironment } from './environment';

/** USD per million tokens, by kind. */
export interface TokenPrices {
  inputText: number;
  inputAudio: number;
  cachedInput: number;
  outputText: number;
  outputAudio: number;
}

const PRICE_KINDS: (keyof TokenPrices)[] = ['inputText', 'inputAudio', 'cachedInput', 'outputText', 'outputAudio'];

export function parseTokenPrices(json: string): TokenPrices {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error('TOKEN_PRICES_USD_PER_MILLION is not valid JSON');
  }
  const prices: TokenPrices = { inputText: 0, inputAudio: 0, cachedInput: 0, outputText: 0, outputAudio: 0 };
  for (const [kind, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (!PRICE_KINDS.includes(kind as keyof TokenPrices)) throw new Error(`TOKEN_PRICES_USD_PER_MILLION: unknown price "${kind}" (known: ${PRICE_KINDS.join(', ')})`);
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new Error(`TOKEN_PRICES_USD_PER_MILLION: "${kind}" must be a non-negative number`);
    prices[kind as keyof TokenPrices] = value;
  }
  return prices;
}

export const callRecordsConfig = registerAs('callRecords', () => {
  const env = readEnvironment();
  return {
    databaseUrl: env.DATABASE_URL,
    databaseSchema: env.DATABASE_SCHEMA,
    dataDir: env.DATA_DIR,
    checkpointMs: env.CALL_RECORD_CHECKPOINT_MS,
    retryInitialMs: env.CALL_RECORD_RETRY_INITIAL_MS,
    webhookUrl: env.CALL_RECORD_WEBHOOK_URL,
    webhookSecret: env.CALL_RECORD_WEBHOOK_SECRET,
    webhookMaxAttempts: env.CALL_RECORD_WEBHOOK_MAX_ATTEMPTS,
    tokenPrices: parseTokenPrices(env.TOKEN_PRICES_USD_PER_MILLION),
  };
});
export type CallRecordsConfig = ConfigType<typeof callRecordsConfig>;
