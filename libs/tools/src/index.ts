export { ToolsModule } from './tools.module';
export { RealtimeTool, ToolError } from './realtime-tool';
export type { CallControlApi, RealtimeToolHandler, RealtimeToolOptions, ToolCallContext, ToolControlOutcome, ToolParametersSchema } from './realtime-tool';
export { ToolRegistry } from './tool-registry.service';
export type { RegisteredTool } from './tool-registry.service';
export { ToolRunner } from './tool-runner';
export type { ToolRunnerOptions, ToolRunResult } from './tool-runner';
export { EndCallTool, END_CALL_TOOL } from './call-control/end-call.tool';
export { TransferCallTool, TRANSFER_CALL_TOOL } from './call-control/transfer-call.tool';
