import { DiscoveryService } from '@nestjs/core';

/** A JSON Schema (draft 2020-12 subset understood by the model) describing a tool's arguments. */
export type ToolParametersSchema = Record<string, unknown>;

export interface RealtimeToolOptions {
  /** The function name the model calls (letters, digits, `_` and `-`). */
  name: string;
  /** What the tool does and when to use it; the model reads this. */
  description: string;
  /** JSON Schema of the arguments object; arguments are validated against it before the tool runs. */
  parameters: ToolParametersSchema;
  /** Overrides TOOL_TIMEOUT_MS for this tool. */
  timeoutMs?: number;
}

/**
 * Marks an injectable class as a tool the assistant can call. Put it on a provider of any module
 * the application imports; the ToolRegistry discovers it at start-up.
 */
export const RealtimeTool = DiscoveryService.createDecorator<RealtimeToolOptions>();

/** Hangs up or hands over the live call; what `context.control` offers a tool. */
export interface CallControlApi {
  /** Completes the call once the assistant's current speech has been heard. */
  endCall(reason?: string): ToolControlOutcome;
  /** Redirects the call to a human (`<Dial>`) once the assistant's current speech has been heard. */
  /** `mode`: `warm` (hold, summary to the human, their acceptance) or `blind`; undefined: the destination's default. */
  transferCall(destination?: string, reason?: string, mode?: string): ToolControlOutcome;
  /** An answering machine answered (after its beep): leaves the voicemail message or hangs up, as the profile says. */
  voicemailDetected?(): ToolControlOutcome;
}

export type ToolControlOutcome = { accepted: true; detail: string } | { accepted: false; error: string };

/** What a tool learns about the call it runs in. */
export interface ToolCallContext {
  callSid?: string;
  /** Caller number (inbound) or the number we called from (outbound), as Twilio reports it. */
  from?: string;
  to?: string;
  /** Custom `<Parameter>`s of the stream and outbound context variables. */
  parameters: Readonly<Record<string, string>>;
  /** The assistant profile the call runs with. */
  profile: string;
  control: CallControlApi;
  /** Aborted when the tool times out or the call ends; pass it to fetch() and the like. */
  signal: AbortSignal;
}

/** Implemented by every `@RealtimeTool` class. The result is sent to the model as JSON. */
export interface RealtimeToolHandler<Args = Record<string, unknown>, Result = unknown> {
  execute(args: Args, context: ToolCallContext): Promise<Result> | Result;
}

/** Thrown by a tool to give the model a message it can act on (sent as `{ "error": message }`). */
export class ToolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolError';
  }
}
