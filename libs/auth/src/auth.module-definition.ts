import { ConfigurableModuleBuilder } from '@nestjs/common';

export interface AuthModuleOptions {
  /** Bearer tokens accepted by the gateway's own HTTP API. Empty: every request is refused. */
  apiKeys: string[];
}

export const { ConfigurableModuleClass: ConfigurableAuthModule, MODULE_OPTIONS_TOKEN: AUTH_OPTIONS } =
  new ConfigurableModuleBuilder<AuthModuleOptions>({ moduleName: 'Auth' })
    .setClassMethodName('forRoot')
    // Global: registered once by the application, used by every module with a guarded API.
    .setExtras({}, (definition) => ({ ...definition, global: true }))
    .build();
