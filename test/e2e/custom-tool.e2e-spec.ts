/**
 * How to test your own tool module end to end: inside the real gateway, against the simulators.
 * Copy this file next to your module and replace the example module with yours.
 *
 * 1. Your module holds `@RealtimeTool` providers and whatever they depend on (here an order book).
 * 2. `startGateway(env, simulatorOptions, { imports: [YourModule], override })` boots the real app
 *    (AppModule, set up as in production) with your module added; `override` swaps a provider for a
 *    test double through Nest's TestingModuleBuilder; `env` configures the gateway like environment
 *    variables would, without touching process.env.
 * 3. The Realtime simulator plays the model: `session.callFunction(name, args)` makes the model call
 *    your tool; the gateway validates the arguments, runs the tool and sends its result back as a
 *    `function_call_output`, then asks the model to answer (`response.create`). The simulated model's
 *    `reply` reads the result out, and a fake Twilio call hears it.
 */
import { Injectable, Module } from '@nestjs/common';
import { afterEach, describe, expect, it } from 'vitest';
import { CallEvents } from '@app/orchestration';
import type { SimulatedSession } from '@app/simulators';
import { RealtimeTool, ToolError } from '@app/tools';
import type { RealtimeToolHandler, ToolCallContext } from '@app/tools';
import { GatewayHarness, startGateway } from '../support/gateway-harness';

// ---- an integrator's tool module (in your own source tree) --------------------------------------

/** Where orders live (your database, your API). An abstract class so tests can replace it. */
abstract class OrderBook {
  abstract statusOf(orderId: string): Promise<string | undefined>;
}

@Injectable()
class InMemoryOrderBook extends OrderBook {
  private readonly orders = new Map([['A-1001', 'shipped']]);

  async statusOf(orderId: string): Promise<string | undefined> {
    return this.orders.get(orderId);
  }
}

@RealtimeTool({
  name: 'get_order_status',
  description: 'Look up the status of the caller’s order by its number, e.g. "A-1001".',
  parameters: {
    type: 'object',
    properties: { orderId: { type: 'string', pattern: '^[A-Z]-\\d{4}$' } },
    required: ['orderId'],
    additionalProperties: false,
  },
})
@Injectable()
class OrderStatusTool implements RealtimeToolHandler<{ orderId: string }> {
  constructor(private readonly orders: OrderBook) {}

  async execute({ orderId }: { orderId: string }, context: ToolCallContext) {
    const status = await this.orders.statusOf(orderId);
    if (!status) throw new ToolError(`There is no order ${orderId}. Ask the caller to read the order number again.`);
    return { orderId, status, caller: context.from };
  }
}

@Module({ providers: [OrderStatusTool, { provide: OrderBook, useClass: InMemoryOrderBook }] })
class OrderToolsModule {}

// ---- the end-to-end tests ------------------------------------------------------------------------

/** The simulated model: reads a tool's result out loud, else says "Okay." */
const model = {
  autoRespond: false,
  reply: ({ toolOutputs }: { toolOutputs?: string[] }) => (toolOutputs ? `The tool said ${toolOutputs.join(' ')}` : 'Okay.'),
};

const CALLER = { From: '+15551110000', To: '+15552220000' };

describe('an integrator’s tool module in the real gateway', () => {
  let gateway: GatewayHarness | undefined;

  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
  });

  /** A call through the gateway, its OpenAI session, and the session configuration the gateway sent. */
  async function connectedCall(harness: GatewayHarness) {
    const call = harness.newCall({ customParameters: CALLER });
    await call.connect();
    const session = await harness.simulator.nextSession();
    const update = await session.waitForClientEvent('session.update');
    return { call, session, tools: (update.session.tools as Array<{ name: string }>).map((tool) => tool.name) };
  }

  /** What the gateway sent the model as the result of one function call. */
  async function toolResult(session: SimulatedSession, callId: string): Promise<Record<string, unknown>> {
    const event = await session.waitForClientEvent('conversation.item.create', (e) => e.item?.call_id === callId);
    expect(event.item.type).toBe('function_call_output');
    return JSON.parse(event.item.output);
  }

  it('offers the tool to the model, runs it when the model calls it, and the result reaches the model and the caller', async () => {
    gateway = await startGateway({ ASSISTANT_GREETING: '' }, model, { imports: [OrderToolsModule] });
    const spoken: string[] = [];
    gateway.app.get(CallEvents).subscribe({ assistantTranscript: (_call, _item, text) => void spoken.push(text) });
    const { call, session, tools } = await connectedCall(gateway);
    expect(tools).toContain('get_order_status');

    const { callId } = session.callFunction('get_order_status', { orderId: 'A-1001' });
    const result = await toolResult(session, callId);
    expect(result).toEqual({ orderId: 'A-1001', status: 'shipped', caller: CALLER.From });
    // The model is asked to answer once the result is in, and the caller hears the answer.
    await session.waitForClientEvent('response.create');
    await call.waitUntil(() => spoken.length > 0, 5000, 'the assistant to answer');
    expect(spoken[0]).toBe(`The tool said ${JSON.stringify(result)}`);
    await call.waitForPlaybackEnd();
    expect(call.receivedAudio().length).toBe(session.outputAudio().length);
    expect(call.isOpen).toBe(true);
  });

  it('runs the tool with a provider overridden by a test double, and hands the model a ToolError to act on', async () => {
    const statusOf = async (orderId: string) => (orderId === 'B-2002' ? 'lost in transit' : undefined);
    gateway = await startGateway({ ASSISTANT_GREETING: '' }, model, {
      imports: [OrderToolsModule],
      override: (builder) => builder.overrideProvider(OrderBook).useValue({ statusOf }),
    });
    const { session } = await connectedCall(gateway);

    expect(await toolResult(session, session.callFunction('get_order_status', { orderId: 'B-2002' }).callId)).toMatchObject({ status: 'lost in transit' });
    const missing = await toolResult(session, session.callFunction('get_order_status', { orderId: 'A-1001' }).callId);
    expect(missing).toEqual({ error: 'There is no order A-1001. Ask the caller to read the order number again.' });
    // Arguments are checked against the tool's schema before it runs.
    const invalid = await toolResult(session, session.callFunction('get_order_status', { orderId: 'order one' }).callId);
    expect(invalid.error).toMatch(/Invalid arguments for get_order_status/);
  });

  it('is configured like the rest of the gateway: ASSISTANT_TOOLS can give the default assistant only this tool', async () => {
    gateway = await startGateway({ ASSISTANT_GREETING: '', ASSISTANT_TOOLS: 'get_order_status' }, model, { imports: [OrderToolsModule] });
    const { tools } = await connectedCall(gateway);
    expect(tools).toEqual(['get_order_status']);
  });
});
