import { Injectable } from '@nestjs/common';
import { RealtimeTool, RealtimeToolHandler, ToolCallContext, ToolError } from '../realtime-tool';

export const END_CALL_TOOL = 'end_call';

/** Built-in: hangs up once the assistant's goodbye has been heard (END_CALL_ENABLED). */
@RealtimeTool({
  name: END_CALL_TOOL,
  description:
    'Hang up the phone call. Use it when the caller says goodbye or the conversation is clearly over. ' +
    'Say a short goodbye first; the call ends once it has been heard.',
  parameters: {
    type: 'object',
    properties: { reason: { type: 'string', description: 'Why the call is ending, for the call record.' } },
    additionalProperties: false,
  },
})
@Injectable()
export class EndCallTool implements RealtimeToolHandler<{ reason?: string }> {
  execute(args: { reason?: string }, context: ToolCallContext) {
    const outcome = context.control.endCall(args.reason);
    if (!outcome.accepted) throw new ToolError(outcome.error);
    return { ok: true, detail: outcome.detail };
  }
}
