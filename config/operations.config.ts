import { ConfigType, registerAs } from '@nestjs/config';
import { readEnvironment } from './environment';

export const operationsConfig = registerAs('operations', () => {
  const env = readEnvironment();
  return {
    drainTimeoutMs: env.DRAIN_TIMEOUT_S * 1000,
    /** Undefined: no limit. */
    maxConcurrentCalls: env.MAX_CONCURRENT_CALLS,
    callRefusedMessage: env.CALL_REFUSED_MESSAGE,
    drainGoodbyeMessage: env.DRAIN_GOODBYE_MESSAGE,
  };
});
export type OperationsConfig = ConfigType<typeof operationsConfig>;
