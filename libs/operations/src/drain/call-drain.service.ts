import { BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import { Call, CallRegistry } from '@app/orchestration';
import { hangUpTwiml, TwilioRestClient } from '@app/telephony';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { GatewayAdmission } from '../admission/gateway-admission.service';
import { GatewayMetrics } from '../metrics/gateway-metrics.service';
import { OPERATIONS_OPTIONS } from '../operations.module-definition';
import type { OperationsModuleOptions } from '../operations.module-definition';

/** How long Twilio gets to act on a goodbye redirect (it ends the stream) before we close it ourselves. */
export const GOODBYE_GRACE_MS = 10_000;

/**
 * Graceful drain on SIGTERM: readiness goes down and new calls are refused at once, live
 * calls keep flowing until they end or the drain timeout passes, then each remaining caller hears a
 * short goodbye. Runs in beforeApplicationShutdown because the WS adapter terminates every socket
 * right after that hook. SIGINT (Ctrl-C) and a plain `app.close()` (tests) do not wait: the
 * orchestrator then ends live calls at once.
 */
@Injectable()
export class CallDrainService implements BeforeApplicationShutdown {
  private drained?: Promise<void>;

  constructor(
    private readonly admission: GatewayAdmission,
    private readonly calls: CallRegistry,
    private readonly twilioApi: TwilioRestClient,
    private readonly metrics: GatewayMetrics,
    @Inject(OPERATIONS_OPTIONS) private readonly config: OperationsModuleOptions,
    @InjectPinoLogger('Drain') private readonly logger: PinoLogger,
  ) {}

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    if (signal === 'SIGTERM') await this.drain();
  }

  /** Idempotent: a second signal waits for the same drain. */
  drain(): Promise<void> {
    this.drained ??= this.run();
    return this.drained;
  }

  private async run(): Promise<void> {
    this.admission.startDraining();
    const timeoutMs = this.config.drainTimeoutMs;
    this.logger.info({ liveCalls: this.calls.size, timeoutMs }, 'draining: refusing new calls, waiting for live calls to end');
    if (await this.calls.waitUntilEmpty(timeoutMs)) {
      this.logger.info('drained: no live calls');
      return;
    }
    const remaining = this.calls.all();
    this.logger.warn({ liveCalls: remaining.length }, 'drain timeout passed; saying goodbye to the remaining callers');
    await Promise.all(remaining.map((call) => this.sayGoodbye(call)));
    if (!(await this.calls.waitUntilEmpty(GOODBYE_GRACE_MS))) {
      for (const call of this.calls.all()) call.end('server-shutdown', 1001);
    }
    this.logger.info('drained');
  }

  /**
   * With Twilio credentials the call is redirected to a `<Say>` goodbye and hung up (Twilio then
   * ends the media stream); without them, or if Twilio refuses, the stream is closed.
   */
  private async sayGoodbye(call: Call): Promise<void> {
    // The softphone's calls have no Twilio call to redirect: their streams are closed.
    if (this.twilioApi.isConfigured && call.callSid && call.origin === 'twilio') {
      try {
        await this.twilioApi.redirectCall(call.callSid, hangUpTwiml(this.config.drainGoodbyeMessage));
        this.metrics.recordDrainedCall('redirected');
        return;
      } catch (error) {
        this.logger.warn({ callSid: call.callSid, error: error instanceof Error ? error.message : String(error) }, 'goodbye redirect failed; closing the stream');
      }
    }
    this.metrics.recordDrainedCall('closed');
    call.end('server-shutdown', 1001);
  }
}
