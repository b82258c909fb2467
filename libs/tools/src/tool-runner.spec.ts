import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { Ajv } from 'ajv';
import { CallControlApi, RealtimeToolHandler, ToolError } from './realtime-tool';
import type { RegisteredTool } from './tool-registry.service';
import { ToolRunner } from './tool-runner';

const ajv = new Ajv({ allErrors: true });
const schema = {
  type: 'object',
  properties: { orderId: { type: 'string', pattern: '^[0-9]{4}$' }, express: { type: 'boolean' } },
  required: ['orderId'],
  additionalProperties: false,
};

function tool(name: string, handler: RealtimeToolHandler['execute'], timeoutMs?: number): [string, RegisteredTool] {
  return [name, { definition: { type: 'function', name, description: name, parameters: schema }, handler: { execute: handler }, validate: ajv.compile(schema), timeoutMs }];
}

const control: CallControlApi = {
  endCall: () => ({ accepted: true, detail: '' }),
  transferCall: () => ({ accepted: true, detail: '' }),
};
const context = { callSid: 'CA1', from: '+1555', to: '+1666', parameters: { campaign: 'x' }, profile: 'default', control };

function runner(...tools: Array<[string, RegisteredTool]>) {
  return new ToolRunner({ tools: new Map(tools), defaultTimeoutMs: 1000, logger: pino({ level: 'silent' }) });
}

describe('ToolRunner', () => {
  it('runs a tool with its parsed arguments and the call context, and returns the result as JSON', async () => {
    const seen: unknown[] = [];
    const r = runner(tool('lookup', (args, ctx) => {
      seen.push(args, ctx.callSid, ctx.parameters.campaign, ctx.signal.aborted);
      return { status: 'shipped' };
    }));
    expect(await r.run('lookup', '{"orderId":"1234"}', context)).toEqual({ ok: true, output: '{"status":"shipped"}' });
    expect(seen).toEqual([{ orderId: '1234' }, 'CA1', 'x', false]);
    expect(r.definitions.map((d) => d.name)).toEqual(['lookup']);
  });

  it('answers { ok: true } for a tool that returns nothing', async () => {
    expect(await runner(tool('noop', () => undefined)).run('noop', '{"orderId":"1234"}', context)).toEqual({ ok: true, output: '{"ok":true}' });
  });

  it('does not run the tool when the arguments break the schema, and names every problem', async () => {
    let ran = false;
    const result = await runner(tool('lookup', () => (ran = true))).run('lookup', '{"orderId":"12","extra":1}', context);
    expect(ran).toBe(false);
    expect(result.ok).toBe(false);
    const { error } = JSON.parse(result.output);
    expect(error).toContain('/orderId must match pattern');
    expect(error).toContain('must NOT have additional properties');
  });

  it('refuses arguments that are not JSON and unknown tools', async () => {
    const r = runner(tool('lookup', () => 1));
    expect(JSON.parse((await r.run('lookup', '{"orderId":', context)).output).error).toMatch(/not valid JSON/);
    expect(JSON.parse((await r.run('other', '{}', context)).output).error).toBe('Unknown tool "other". Available tools: lookup.');
  });

  it('turns a throw into an error for the model: ToolError messages as they are, other errors prefixed', async () => {
    const r = runner(
      tool('friendly', () => {
        throw new ToolError('No order 1234 on file.');
      }),
      tool('broken', async () => {
        throw new Error('database down');
      }),
    );
    expect(JSON.parse((await r.run('friendly', '{"orderId":"1234"}', context)).output)).toEqual({ error: 'No order 1234 on file.' });
    expect(JSON.parse((await r.run('broken', '{"orderId":"1234"}', context)).output)).toEqual({ error: 'broken failed: database down' });
  });

  it('gives up on a tool that hangs past its timeout and aborts its signal', async () => {
    let signal: AbortSignal | undefined;
    const r = runner(tool('slow', (_args, ctx) => {
      signal = ctx.signal;
      return new Promise(() => undefined);
    }, 50));
    const startedAt = Date.now();
    const result = await r.run('slow', '{"orderId":"1234"}', context);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(45);
    expect(Date.now() - startedAt).toBeLessThan(900);
    expect(JSON.parse(result.output).error).toMatch(/did not finish within 50 ms/);
    expect(signal?.aborted).toBe(true);
  });

  it('aborts running tools when the call ends', async () => {
    let signal: AbortSignal | undefined;
    const r = runner(tool('slow', (_args, ctx) => {
      signal = ctx.signal;
      return new Promise(() => undefined);
    }));
    const pending = r.run('slow', '{"orderId":"1234"}', context);
    await Promise.resolve();
    r.dispose();
    expect((await pending).ok).toBe(false);
    expect(signal?.aborted).toBe(true);
  });
});
