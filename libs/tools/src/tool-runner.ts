import type { Logger } from 'pino';
import type { RealtimeFunctionTool } from '@app/realtime';
import { ToolCallContext, ToolError } from './realtime-tool';
import type { RegisteredTool } from './tool-registry.service';

export interface ToolRunnerOptions {
  /** The tools this call may use, by name. */
  tools: Map<string, RegisteredTool>;
  defaultTimeoutMs: number;
  logger: Logger;
}

/** What goes back to the model as the `function_call_output`. */
export interface ToolRunResult {
  output: string;
  ok: boolean;
}

const MAX_ERROR_LENGTH = 500;

/**
 * Runs the tools of one call: parses and validates the model's arguments, applies the timeout,
 * and turns every outcome (including a throw or a hang) into an output for the model. Never throws.
 */
export class ToolRunner {
  private readonly calls = new AbortController();

  constructor(private readonly options: ToolRunnerOptions) {}

  /** The `tools` entry of the session configuration. */
  get definitions(): RealtimeFunctionTool[] {
    return [...this.options.tools.values()].map((tool) => tool.definition);
  }

  async run(name: string, argumentsJson: string, context: Omit<ToolCallContext, 'signal'>): Promise<ToolRunResult> {
    const tool = this.options.tools.get(name);
    if (!tool) return failure(`Unknown tool "${name}". Available tools: ${[...this.options.tools.keys()].join(', ') || 'none'}.`);
    let args: unknown;
    try {
      args = argumentsJson.trim() === '' ? {} : JSON.parse(argumentsJson);
    } catch {
      return failure(`The arguments for ${name} are not valid JSON. Call it again with a JSON object.`);
    }
    if (!tool.validate(args)) {
      const problems = (tool.validate.errors ?? []).map((e) => `${e.instancePath || 'arguments'} ${e.message}`).join('; ');
      return failure(`Invalid arguments for ${name}: ${problems}. Fix them and call it again.`);
    }
    const timeoutMs = tool.timeoutMs ?? this.options.defaultTimeoutMs;
    const signal = AbortSignal.any([this.calls.signal, AbortSignal.timeout(timeoutMs)]);
    const startedAt = Date.now();
    try {
      const result = await withAbort(Promise.resolve().then(() => tool.handler.execute(args as Record<string, unknown>, { ...context, signal })), signal);
      this.options.logger.info({ tool: name, ms: Date.now() - startedAt }, 'tool ran');
      return { ok: true, output: JSON.stringify(result === undefined ? { ok: true } : result) };
    } catch (error) {
      const ms = Date.now() - startedAt;
      if (signal.aborted && !(error instanceof ToolError)) {
        this.options.logger.warn({ tool: name, ms }, 'tool timed out');
        return failure(`${name} did not finish within ${timeoutMs} ms. Tell the caller it is not available right now.`);
      }
      const message = error instanceof Error ? error.message : String(error);
      this.options.logger.warn({ tool: name, ms, err: { message } }, 'tool failed');
      return failure(error instanceof ToolError ? message : `${name} failed: ${message}`.slice(0, MAX_ERROR_LENGTH));
    }
  }

  /** Aborts every tool still running (the call ended). */
  dispose(): void {
    this.calls.abort();
  }
}

function failure(error: string): ToolRunResult {
  return { ok: false, output: JSON.stringify({ error }) };
}

function withAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
