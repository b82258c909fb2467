import { Module } from '@nestjs/common';
import { ConsoleAssets } from './console-assets.service';
import { ConsoleController } from './console.controller';
import { ConsoleFeed } from './console-feed.service';
import { ConsoleGateway } from './console.gateway';
import { ConfigurableConsoleModule } from './console.module-definition';
import { ConsoleTokenService } from './console-token.service';

/**
 * The live web console at /console: call list, transcripts, and the browser softphone's tokens.
 * Needs OrchestrationModule, AuthModule, TwilioModule (softphone stream tokens) and ThrottlerModule registered.
 */
@Module({
  controllers: [ConsoleController],
  providers: [ConsoleAssets, ConsoleFeed, ConsoleGateway, ConsoleTokenService],
  exports: [ConsoleTokenService, ConsoleFeed],
})
export class ConsoleModule extends ConfigurableConsoleModule {}
