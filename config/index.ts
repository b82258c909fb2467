export * from './environment-defaults';
export * from './environment';
export * from './app.config';
export * from './openai.config';
export * from './assistant.config';
export * from './twilio.config';
export * from './logging.config';
export * from './operations.config';

import { appConfig } from './app.config';
import { assistantConfig } from './assistant.config';
import { loggingConfig } from './logging.config';
import { openAiConfig } from './openai.config';
import { operationsConfig } from './operations.config';
import { twilioConfig } from './twilio.config';

/** Every configuration namespace, for `ConfigModule.forRoot({ load })`. */
export const CONFIG_NAMESPACES = [appConfig, openAiConfig, assistantConfig, twilioConfig, loggingConfig, operationsConfig];
