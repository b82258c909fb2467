import { Module } from '@nestjs/common';
import { AuthModule } from '@app/auth';
import { OrchestrationModule } from '@app/orchestration';
import { ConsoleAssets } from './console-assets.service';
import { ConsoleController } from './console.controller';
import { ConsoleFeed } from './console-feed.service';
import { ConsoleGateway } from './console.gateway';
import { ConsoleTokenService } from './console-token.service';

/** The live web console at /console: call list, transcripts, and the browser softphone's tokens. */
@Module({
  imports: [OrchestrationModule, AuthModule],
  controllers: [ConsoleController],
  providers: [ConsoleAssets, ConsoleFeed, ConsoleGateway, ConsoleTokenService],
  exports: [ConsoleTokenService, ConsoleFeed],
})
export class ConsoleModule {}
