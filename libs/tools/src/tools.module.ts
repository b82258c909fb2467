import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { EndCallTool } from './call-control/end-call.tool';
import { TransferCallTool } from './call-control/transfer-call.tool';
import { VoicemailDetectedTool } from './call-control/voicemail-detected.tool';
import { ToolRegistry } from './tool-registry.service';

/** The tool extension point: discovers every `@RealtimeTool` provider; ships the call-control tools. */
@Module({
  imports: [DiscoveryModule],
  providers: [ToolRegistry, EndCallTool, TransferCallTool, VoicemailDetectedTool],
  exports: [ToolRegistry],
})
export class ToolsModule {}
