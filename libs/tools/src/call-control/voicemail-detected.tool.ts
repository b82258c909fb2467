import { Injectable } from '@nestjs/common';
import { RealtimeTool, RealtimeToolHandler, ToolCallContext, ToolError } from '../realtime-tool';

export const VOICEMAIL_DETECTED_TOOL = 'voicemail_detected';

/**
 * Built-in: the model's own judgement that an answering machine answered an outbound call. Offered
 * only to outbound calls whose profile detects voicemail with the model (`voicemail.detection`
 * `model` or `both`); the gateway then leaves the profile's message or hangs up.
 */
@RealtimeTool({
  name: VOICEMAIL_DETECTED_TOOL,
  description:
    'Call this only when you are sure an answering machine or voicemail greeting answered the call, not a person. ' +
    'Wait until the greeting has finished (after the beep, or when it falls silent), then call it and say nothing yourself: ' +
    'the call then leaves the voicemail message or hangs up.',
  parameters: { type: 'object', properties: {}, additionalProperties: false },
})
@Injectable()
export class VoicemailDetectedTool implements RealtimeToolHandler<Record<string, never>> {
  execute(_args: Record<string, never>, context: ToolCallContext) {
    const outcome = context.control.voicemailDetected?.() ?? { accepted: false as const, error: 'Voicemail detection is not available on this call.' };
    if (!outcome.accepted) throw new ToolError(outcome.error);
    return { ok: true, detail: outcome.detail };
  }
}
