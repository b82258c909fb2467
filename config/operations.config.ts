import type { OperationsModuleOptions } from '@app/operations';
import { IsInt, IsNumber, IsOptional, IsString, Max, Min, MinLength } from 'class-validator';
import { EmptyMeansUnset, ToNumber } from './config-owner';
import type { ConfigOwner } from './config-owner';

/** Running in production: the graceful drain and admission of new calls (libs/operations). */
export class OperationsVariables {
  /** Seconds a SIGTERM waits for live calls to end before saying goodbye to the rest. */
  @ToNumber() @IsNumber() @Min(0) @Max(3600)
  DRAIN_TIMEOUT_S: number;

  /** Calls this process takes at once; further calls are refused politely. Unset: no limit. */
  @EmptyMeansUnset() @IsOptional() @ToNumber() @IsInt() @Min(1)
  MAX_CONCURRENT_CALLS?: number;

  /** Streams beyond MAX_CONCURRENT_CALLS a process still serves (calls whose webhook another instance answered). */
  @EmptyMeansUnset() @IsOptional() @ToNumber() @IsInt() @Min(0)
  MAX_CONCURRENT_CALLS_HEADROOM?: number;

  /** Calls the whole fleet takes at once (counted in Redis); further calls are refused politely. Unset: no limit. */
  @EmptyMeansUnset() @IsOptional() @ToNumber() @IsInt() @Min(1)
  FLEET_MAX_CONCURRENT_CALLS?: number;

  /** Spoken (<Say>) to callers refused while draining or at capacity. */
  @IsString() @MinLength(1)
  CALL_REFUSED_MESSAGE: string;

  /** Spoken (<Say>) to callers still connected when the drain timeout passes. */
  @IsString() @MinLength(1)
  DRAIN_GOODBYE_MESSAGE: string;
}

export const operationsConfig: ConfigOwner<OperationsModuleOptions> = {
  variables: OperationsVariables,
  defaults: {
    all: {
      DRAIN_TIMEOUT_S: '300',
      CALL_REFUSED_MESSAGE: 'Sorry, we cannot take your call right now. Please call again in a moment. Goodbye.',
      DRAIN_GOODBYE_MESSAGE: 'Sorry, we have to end this call now. Please call again. Goodbye.',
    },
  },
  section: (env) => ({
    drainTimeoutMs: env.DRAIN_TIMEOUT_S * 1000,
    maxConcurrentCalls: env.MAX_CONCURRENT_CALLS,
    // By default a quarter more, for streams whose webhook was answered by a less busy instance.
    streamHeadroom: env.MAX_CONCURRENT_CALLS_HEADROOM ?? (env.MAX_CONCURRENT_CALLS ? Math.ceil(env.MAX_CONCURRENT_CALLS / 4) : 0),
    fleetMaxConcurrentCalls: env.FLEET_MAX_CONCURRENT_CALLS,
    callRefusedMessage: env.CALL_REFUSED_MESSAGE,
    drainGoodbyeMessage: env.DRAIN_GOODBYE_MESSAGE,
  }),
};
