import type { AgentOptions } from '@app/orchestration';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength } from 'class-validator';
import { commaSeparated, EmptyMeansUnset, ToNumber } from './config-owner';
import type { ConfigOwner } from './config-owner';

/** What the assistant can do besides talking: tools, call control, limits, keypad, and the fallback (libs/orchestration, libs/tools). */
export class AgentVariables {
  /** How long a tool may run before the model is told it failed. */
  @ToNumber() @IsInt() @Min(100) @Max(120000)
  TOOL_TIMEOUT_MS: number;

  @IsIn(['true', 'false'])
  END_CALL_ENABLED: 'true' | 'false';

  @IsIn(['true', 'false'])
  TRANSFER_CALL_ENABLED: 'true' | 'false';

  /** Human number(s) transfer_call may dial (comma-separated E.164; the first is the default). */
  @IsOptional()
  @Matches(/^\s*\+[1-9]\d{6,14}\s*(,\s*\+[1-9]\d{6,14}\s*)*$/, { message: 'TRANSFER_PHONE_NUMBER must be one or more comma-separated E.164 numbers' })
  TRANSFER_PHONE_NUMBER?: string;

  /** Longest call; then the assistant says goodbye and the call ends (0: no limit). */
  @ToNumber() @IsInt() @Min(0) @Max(86400)
  MAX_CALL_DURATION_S: number;

  /** Caller silence (after the assistant finished) before a nudge, and as long again before a polite hang-up (0: off). */
  @ToNumber() @IsInt() @Min(0) @Max(3600)
  CALLER_IDLE_TIMEOUT_S: number;

  /** Keypad presses closer together than this are sent to the model as one entry. */
  @ToNumber() @IsInt() @Min(0) @Max(10000)
  DTMF_WINDOW_MS: number;

  /** E.164 number the caller is transferred to when OpenAI cannot be recovered; unset: apologise and hang up. */
  @EmptyMeansUnset()
  @IsOptional() @Matches(/^\+[1-9][0-9]{6,14}$/, { message: 'FALLBACK_PHONE_NUMBER must be an E.164 number such as +15551234567' })
  FALLBACK_PHONE_NUMBER?: string;

  /** Spoken (<Say>) to the caller when OpenAI cannot be recovered. */
  @IsString() @MinLength(1)
  FALLBACK_MESSAGE: string;
}

export const agentConfig: ConfigOwner<AgentOptions> = {
  variables: AgentVariables,
  defaults: {
    all: {
      TOOL_TIMEOUT_MS: '10000',
      END_CALL_ENABLED: 'true',
      TRANSFER_CALL_ENABLED: 'true',
      MAX_CALL_DURATION_S: '3600',
      CALLER_IDLE_TIMEOUT_S: '30',
      DTMF_WINDOW_MS: '1500',
      FALLBACK_MESSAGE: 'Sorry, our assistant is having trouble right now.',
    },
  },
  section: (env) => {
    const transferNumbers = commaSeparated(env.TRANSFER_PHONE_NUMBER);
    return {
      toolTimeoutMs: env.TOOL_TIMEOUT_MS,
      dtmfWindowMs: env.DTMF_WINDOW_MS,
      maxCallDurationMs: env.MAX_CALL_DURATION_S * 1000,
      callerIdleTimeoutMs: env.CALLER_IDLE_TIMEOUT_S * 1000,
      endCallEnabled: env.END_CALL_ENABLED === 'true',
      // transfer_call is offered only when enabled and a number is configured.
      transferCallEnabled: env.TRANSFER_CALL_ENABLED === 'true' && transferNumbers.length > 0,
      transferNumbers,
      fallback: { message: env.FALLBACK_MESSAGE, phoneNumber: env.FALLBACK_PHONE_NUMBER },
    };
  },
};
