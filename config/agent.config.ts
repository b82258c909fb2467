import type { AgentOptions, TransferDestination, TransferModeSetting } from '@app/orchestration';
import { IsIn, IsInt, IsNumber, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
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

  /** Human number(s) transfer_call may dial (comma-separated E.164; the first is the default), named `default`, `line-2`, …. */
  @IsOptional()
  @Matches(/^\s*\+[1-9]\d{6,14}\s*(,\s*\+[1-9]\d{6,14}\s*)*$/, { message: 'TRANSFER_PHONE_NUMBER must be one or more comma-separated E.164 numbers' })
  TRANSFER_PHONE_NUMBER?: string;

  /**
   * Named transfer destinations, `name:+E164` or `name:+E164:mode` (mode `blind`, `warm` or `any`)
   * comma-separated (the first is the default); the model only ever sees the names.
   */
  @EmptyMeansUnset()
  @IsOptional()
  @Matches(/^\s*[a-z][a-z0-9_-]{0,31}:\+[1-9]\d{6,14}(:(blind|warm|any))?\s*(,\s*[a-z][a-z0-9_-]{0,31}:\+[1-9]\d{6,14}(:(blind|warm|any))?\s*)*$/, {
    message:
      'TRANSFER_DESTINATIONS must be comma-separated name:+E164 pairs, optionally with :blind, :warm or :any, e.g. sales:+15551230000,support:+15551230001:warm (names: lower case, digits, - and _)',
  })
  TRANSFER_DESTINATIONS?: string;

  /** How transfers hand the caller over where a destination does not say: blind, warm (hold, summary, the human accepts) or any (the model chooses). */
  @IsIn(['blind', 'warm', 'any'], { message: 'TRANSFER_MODE must be blind, warm or any' })
  TRANSFER_MODE: 'blind' | 'warm' | 'any';

  /** What the assistant tells the caller before a warm transfer's hold. */
  @IsString() @MinLength(1) @MaxLength(300)
  TRANSFER_HOLD_MESSAGE: string;

  /** How long a warm transfer rings the human (seconds). */
  @ToNumber() @IsInt() @Min(5) @Max(120)
  TRANSFER_RING_TIMEOUT_S: number;

  /** How long the human has to press 1 or 2 after the summary (seconds). */
  @ToNumber() @IsInt() @Min(3) @Max(60)
  TRANSFER_ANSWER_TIMEOUT_S: number;

  /** How long the model has to write a warm transfer's summary before one is built from the transcript (ms). */
  @ToNumber() @IsInt() @Min(200) @Max(15000)
  TRANSFER_SUMMARY_TIMEOUT_MS: number;

  /** Caller audio reaches OpenAI at most this many times faster than real time; the excess is dropped (OpenAI bills input audio by length). */
  @ToNumber() @IsNumber() @Min(1.05) @Max(100)
  CALLER_AUDIO_MAX_RATE: number;

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
      CALLER_AUDIO_MAX_RATE: '1.2',
      TRANSFER_MODE: 'blind',
      TRANSFER_HOLD_MESSAGE: 'Please hold for a moment while I reach a colleague.',
      TRANSFER_RING_TIMEOUT_S: '25',
      TRANSFER_ANSWER_TIMEOUT_S: '8',
      TRANSFER_SUMMARY_TIMEOUT_MS: '2000',
    },
  },
  check(env, isValid) {
    if (!isValid('TRANSFER_DESTINATIONS') || !isValid('TRANSFER_PHONE_NUMBER')) return [];
    const names = transferDestinations(env).map((d) => d.name);
    const repeated = names.filter((name, i) => names.indexOf(name) !== i);
    return repeated.length ? [`TRANSFER_DESTINATIONS: the name "${repeated[0]}" is used twice`] : [];
  },
  section: (env) => {
    const destinations = transferDestinations(env);
    return {
      toolTimeoutMs: env.TOOL_TIMEOUT_MS,
      dtmfWindowMs: env.DTMF_WINDOW_MS,
      maxCallDurationMs: env.MAX_CALL_DURATION_S * 1000,
      callerIdleTimeoutMs: env.CALLER_IDLE_TIMEOUT_S * 1000,
      endCallEnabled: env.END_CALL_ENABLED === 'true',
      // transfer_call is offered only when enabled and a destination is configured.
      transferCallEnabled: env.TRANSFER_CALL_ENABLED === 'true' && destinations.length > 0,
      transferDestinations: destinations,
      transferMode: env.TRANSFER_MODE,
      warmTransfer: {
        holdMessage: env.TRANSFER_HOLD_MESSAGE,
        ringTimeoutS: env.TRANSFER_RING_TIMEOUT_S,
        answerTimeoutS: env.TRANSFER_ANSWER_TIMEOUT_S,
        summaryTimeoutMs: env.TRANSFER_SUMMARY_TIMEOUT_MS,
      },
      callerAudioMaxRate: env.CALLER_AUDIO_MAX_RATE,
      fallback: { message: env.FALLBACK_MESSAGE, phoneNumber: env.FALLBACK_PHONE_NUMBER },
    };
  },
};

/** TRANSFER_DESTINATIONS' named numbers, then TRANSFER_PHONE_NUMBER's as `default`, `line-2`, … (names already taken are skipped). */
function transferDestinations(env: AgentVariables): TransferDestination[] {
  const named = commaSeparated(env.TRANSFER_DESTINATIONS).map((entry): TransferDestination => {
    const [name, number, mode] = entry.split(':');
    return mode ? { name, number, mode: mode as TransferModeSetting } : { name, number };
  });
  const taken = new Set(named.map((d) => d.name));
  const plain = commaSeparated(env.TRANSFER_PHONE_NUMBER)
    .map((number, i) => ({ name: i === 0 ? 'default' : `line-${i + 1}`, number }))
    .filter((d) => !taken.has(d.name));
  return [...named, ...plain];
}
