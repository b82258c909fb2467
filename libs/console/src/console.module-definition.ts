import { ConfigurableModuleBuilder } from '@nestjs/common';

export interface ConsoleModuleOptions {
  /** Serve /console, its live feed and the browser softphone; off: everything answers 404 and no call is watched. */
  enabled: boolean;
  /** Console tokens (and so the live feed and the softphone) are issued only to API-key holders. */
  requireApiKey: boolean;
  /** Key of the console tokens' HMAC, shared by every instance; undefined: a random key per process (tokens work on it alone). */
  tokenKey?: Buffer;
  /** How long a console token may be used to open a socket (open sockets stay open). Default 60 s. */
  tokenTtlMs?: number;
}

export const { ConfigurableModuleClass: ConfigurableConsoleModule, MODULE_OPTIONS_TOKEN: CONSOLE_OPTIONS } =
  new ConfigurableModuleBuilder<ConsoleModuleOptions>({ moduleName: 'Console' })
    .setClassMethodName('forRoot')
    .build();
