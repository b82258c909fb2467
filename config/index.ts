export * from './environment-defaults';
export * from './environment';
export * from './app.config';
export * from './openai.config';
export * from './assistant.config';
export * from './twilio.config';
export * from './logging.config';
export * from './agent.config';
export * from './assistant-profiles';
export * from './call-records.config';
export * from './token-prices';
export * from './resilience.config';
export * from './console.config';
export * from './operations.config';

import { agentConfig } from './agent.config';
import { appConfig } from './app.config';
import { callRecordsConfig } from './call-records.config';
import { consoleConfig } from './console.config';
import { assistantConfig } from './assistant.config';
import { loggingConfig } from './logging.config';
import { openAiConfig } from './openai.config';
import { operationsConfig } from './operations.config';
import { resilienceConfig } from './resilience.config';
import { twilioConfig } from './twilio.config';

/** Every configuration namespace, for `ConfigModule.forRoot({ load })`. */
export const CONFIG_NAMESPACES = [
  appConfig,
  openAiConfig,
  assistantConfig,
  twilioConfig,
  loggingConfig,
  agentConfig,
  callRecordsConfig,
  resilienceConfig,
  consoleConfig,
  operationsConfig,
];
