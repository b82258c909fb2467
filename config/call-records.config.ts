import { ConfigType, registerAs } from '@nestjs/config';
import { readEnvironment } from './environment';
import { parseTokenPrices } from './token-prices';

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
