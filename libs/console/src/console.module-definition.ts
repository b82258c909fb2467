import type { PiiKind } from '@app/call-records';
import { ConfigurableModuleBuilder } from '@nestjs/common';

export interface ConsoleModuleOptions {
  /** Serve /console, its live feed and the browser softphone; off: everything answers 404 and no call is watched. */
  enabled: boolean;
  /** Console tokens (and so the live feed and the softphone) are issued only to holders of an API key with the `console` scope. */
  requireApiKey: boolean;
  /**
   * The key console tokens are signed with (derived by the application from its signing secret, so
   * a token minted on one pod is valid on every pod).
   */
  tokenKey: Buffer;
  /**
   * Page origins (`https://host[:port]`) allowed to open the console's sockets besides the page's
   * own (the origin matching the request's Host). A browser socket from any other origin is refused.
   */
  allowedOrigins: string[];
  /** How long a console token may be used to open a socket (open sockets stay open). Default 60 s. */
  tokenTtlMs?: number;
  /** Personal data redacted from what the console shows and shares (the call records' TRANSCRIPT_REDACTION). */
  redaction?: PiiKind[];
}

export const { ConfigurableModuleClass: ConfigurableConsoleModule, MODULE_OPTIONS_TOKEN: CONSOLE_OPTIONS } =
  new ConfigurableModuleBuilder<ConsoleModuleOptions>({ moduleName: 'Console' })
    .setClassMethodName('forRoot')
    .build();
