import type { ToolCallContext, ToolRunner } from '@app/tools';
import type { CallAgentListener, CallEndReason } from '../call/call';
import type { CallAgentHost } from './call-agent-host';
import type { CallControl } from './call-control';
import { CallLimits, CallLimitsOptions } from './call-limits';
import { DtmfCollector } from './dtmf-collector';

export interface CallAgentOptions {
  runner: ToolRunner;
  control: CallControl;
  dtmfWindowMs: number;
  profile: string;
  parameters: Readonly<Record<string, string>>;
  /** Maximum call length and idle-caller handling; absent: no limits. */
  limits?: CallLimitsOptions;
}

/**
 * The call's agent: everything its assistant can do besides talking. It runs its tool calls (answering each with
 * a `function_call_output`, then one `response.create` once the calling response is done), turns
 * keypad presses into conversation input, and lets end/transfer wait for the last words.
 */
export class CallAgent implements CallAgentListener {
  private readonly dtmf: DtmfCollector;
  private readonly limits?: CallLimits;
  private toolsRunning = 0;
  private responseWanted = false;
  /** A response we asked for has not finished yet (its words are still to come). */
  private responseRequested = false;
  private disposed = false;

  constructor(
    private readonly host: CallAgentHost,
    private readonly options: CallAgentOptions,
  ) {
    this.dtmf = new DtmfCollector(options.dtmfWindowMs, (digits) => this.sendKeypadEntry(digits));
    if (options.limits) {
      const agent = this;
      this.limits = new CallLimits(
        {
          get busy() {
            return agent.busy;
          },
          prompt: (instructions) => this.prompt(instructions),
          windDown: () => {
            this.responseWanted = true;
            this.advance();
          },
        },
        options.control,
        options.limits,
      );
    }
  }

  onCallerSpeechStarted(): void {
    this.limits?.callerSpoke();
  }

  onFunctionCall(call: { callId: string; name: string; arguments: string; responseId: string }): void {
    if (this.disposed) return;
    this.toolsRunning++;
    const controlWasPending = this.options.control.isPending;
    const context: Omit<ToolCallContext, 'signal'> = {
      callSid: this.host.callSid,
      from: this.host.from,
      to: this.host.to,
      parameters: this.options.parameters,
      profile: this.options.profile,
      control: this.options.control,
    };
    const startedAt = Date.now();
    void this.options.runner.run(call.name, call.arguments, context).then((result) => {
      this.toolsRunning--;
      this.host.reportToolCall({
        name: call.name,
        arguments: call.arguments,
        ...(result.ok ? { result: JSON.parse(result.output) } : { error: (JSON.parse(result.output) as { error: string }).error }),
        startedAt,
        durationMs: Date.now() - startedAt,
      });
      if (this.disposed) return;
      this.host.sendToModel({ type: 'conversation.item.create', item: { type: 'function_call_output', call_id: call.callId, output: result.output } });
      const startedControl = !controlWasPending && this.options.control.isPending;
      // The model already spoke its last words in the response that called end/transfer: say nothing more.
      if (this.options.control.acting) return;
      if (!startedControl || !this.host.responseHadAudio(call.responseId)) this.responseWanted = true;
      this.advance();
    });
  }

  onDtmf(digit: string): void {
    if (!this.disposed) this.dtmf.press(digit);
  }

  onResponseDone(_responseId?: string): void {
    this.responseRequested = false;
    this.limits?.activity();
    this.advance();
  }

  onMarkPlayed(): void {
    this.limits?.activity();
    if (this.options.control.isPending) this.options.control.check(this.responseRequested || this.responseWanted || this.toolsRunning > 0);
  }

  /**
   * Ends the call after one last response with these instructions has been heard (a voicemail
   * message): false when an end or transfer is already under way.
   */
  finishWith(endReason: CallEndReason, lastWords: string, maxWaitMs?: number): boolean {
    if (this.disposed || !this.options.control.hangUp(endReason, lastWords, maxWaitMs)) return false;
    this.responseWanted = true;
    this.advance();
    return true;
  }

  dispose(): void {
    this.disposed = true;
    this.dtmf.dispose();
    this.limits?.dispose();
    this.options.runner.dispose();
    this.options.control.dispose();
  }

  /** The assistant is talking, a response is running or awaited, or a tool is working. */
  private get busy(): boolean {
    return this.host.assistantSpeaking || this.host.responseActive || this.responseRequested || this.responseWanted || this.toolsRunning > 0;
  }

  /** One response with these instructions (the limits' nudge), when nothing else is running. */
  private prompt(instructions: string): void {
    if (this.disposed || this.busy) return;
    this.responseRequested = true;
    this.host.requestResponse(instructions);
  }

  private sendKeypadEntry(digits: string): void {
    this.host.log.info({ digits: digits.length }, 'caller keypad entry');
    const text = `[The caller pressed on the phone keypad: ${digits.split('').join(' ')}]`;
    this.host.sendToModel({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] } });
    this.responseWanted = true;
    this.advance();
  }

  /** Asks for a response when nothing is running, then lets a pending end/transfer act if it can. */
  private advance(): void {
    if (this.responseWanted && this.toolsRunning === 0 && !this.host.responseActive) {
      this.responseWanted = false;
      this.responseRequested = true;
      this.host.requestResponse(this.options.control.lastWords);
    }
    this.options.control.check(this.responseRequested || this.responseWanted || this.toolsRunning > 0);
  }
}
