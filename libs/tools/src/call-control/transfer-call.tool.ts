import { Injectable } from '@nestjs/common';
import { RealtimeTool, RealtimeToolHandler, ToolCallContext, ToolError } from '../realtime-tool';

export const TRANSFER_CALL_TOOL = 'transfer_call';

/**
 * Built-in: hands the caller to a human at a configured destination (TRANSFER_CALL_ENABLED,
 * TRANSFER_DESTINATIONS / TRANSFER_PHONE_NUMBER). The model names the destination; each call's
 * definition lists the names (never the numbers).
 */
@RealtimeTool({
  name: TRANSFER_CALL_TOOL,
  description:
    'Transfer the caller to a human colleague. Use it when the caller asks for a person or you cannot help. ' +
    'Tell the caller briefly that you are transferring them and why; the transfer starts once that has been heard.',
  parameters: {
    type: 'object',
    properties: {
      reason: { type: 'string', description: 'Why the caller is being transferred.' },
      destination: { type: 'string', description: 'Optional: the name of one of the configured transfer destinations. Omit for the default.' },
      mode: {
        type: 'string',
        enum: ['warm', 'blind'],
        description: 'Optional: "warm" puts the caller on hold while a colleague is told what the call is about and asked to take it; "blind" hands the call over at once. Omit for the line\'s default.',
      },
    },
    additionalProperties: false,
  },
})
@Injectable()
export class TransferCallTool implements RealtimeToolHandler<{ reason?: string; destination?: string; mode?: 'warm' | 'blind' }> {
  execute(args: { reason?: string; destination?: string; mode?: 'warm' | 'blind' }, context: ToolCallContext) {
    const outcome = context.control.transferCall(args.destination, args.reason, args.mode);
    if (!outcome.accepted) throw new ToolError(outcome.error);
    return { ok: true, detail: outcome.detail };
  }
}
