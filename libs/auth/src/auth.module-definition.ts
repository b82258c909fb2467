import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { ApiKeyDefinition } from './api-key-scope';

export interface AuthModuleOptions {
  /**
   * Bearer tokens accepted by the gateway's own HTTP API, each with its scopes (a plain string has
   * every scope). Empty: every request is refused.
   */
  apiKeys: Array<ApiKeyDefinition | string>;
}

export const { ConfigurableModuleClass: ConfigurableAuthModule, MODULE_OPTIONS_TOKEN: AUTH_OPTIONS } =
  new ConfigurableModuleBuilder<AuthModuleOptions>({ moduleName: 'Auth' })
    .setClassMethodName('forRoot')
    // Global: registered once by the application, used by every module with a guarded API.
    .setExtras({}, (definition) => ({ ...definition, global: true }))
    .build();
