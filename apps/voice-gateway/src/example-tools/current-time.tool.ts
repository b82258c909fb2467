import { Injectable } from '@nestjs/common';
import { RealtimeTool, RealtimeToolHandler, ToolCallContext, ToolError } from '@app/tools';

export interface CurrentTimeArgs {
  timeZone?: string;
}

/** Example tool: the current date and time, in an IANA time zone. Copy this file to add your own. */
@RealtimeTool({
  name: 'get_current_time',
  description: 'Get the current date and time, optionally in a given IANA time zone such as "Europe/Paris".',
  parameters: {
    type: 'object',
    properties: {
      timeZone: { type: 'string', description: 'IANA time zone, e.g. "America/New_York". Default: UTC.', maxLength: 64 },
    },
    additionalProperties: false,
  },
  timeoutMs: 2000,
})
@Injectable()
export class CurrentTimeTool implements RealtimeToolHandler<CurrentTimeArgs> {
  execute(args: CurrentTimeArgs, _context: ToolCallContext) {
    const timeZone = args.timeZone ?? 'UTC';
    let format: Intl.DateTimeFormat;
    try {
      format = new Intl.DateTimeFormat('en-US', { timeZone, dateStyle: 'full', timeStyle: 'short' });
    } catch {
      throw new ToolError(`"${timeZone}" is not a known time zone. Ask the caller for a city and use its IANA zone.`);
    }
    return { timeZone, now: format.format(new Date()) };
  }
}
