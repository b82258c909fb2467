import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Ajv } from 'ajv';
import type { RealtimeClientEvent } from '@app/realtime';
import type { TwilioRestClient } from '@app/telephony';
import { EndCallTool, RegisteredTool, ToolRunner, TransferCallTool } from '@app/tools';
import type { RealtimeToolHandler } from '@app/tools';
import type { CallEndReason, CallState } from '../call/call';
import { CallAgent } from './call-agent';
import type { CallLimitsOptions } from './call-limits';
import type { CallTransferEvent, ToolCallEvent } from '../events/call-events';
import type { CallAgentHost } from './call-agent-host';
import { CallControl } from './call-control';
import { JOIN_TIMEOUT_MS } from './warm-transfer';
import type { WarmTransfer } from './warm-transfer';

class FakeHost implements CallAgentHost {
  state: CallState = 'active';
  callSid = 'CA' + '1'.repeat(32);
  from = '+15551110000';
  to = '+15552220000';
  assistantSpeaking = false;
  responseActive = false;
  readonly log = pino({ level: 'silent' });
  readonly sent: RealtimeClientEvent[] = [];
  readonly toolCalls: ToolCallEvent[] = [];
  readonly audioResponses = new Set<string>();
  endedWith?: CallEndReason;
  responseHadAudio(id: string) {
    return this.audioResponses.has(id);
  }
  sendToModel(event: RealtimeClientEvent) {
    this.sent.push(event);
  }
  /** The turn's own instructions only (Call adds the session's; see call.spec). */
  requestResponse(turnInstructions?: string) {
    this.sent.push(turnInstructions ? { type: 'response.create', response: { instructions: turnInstructions } } : { type: 'response.create' });
  }
  reportToolCall(toolCall: ToolCallEvent) {
    this.toolCalls.push(toolCall);
  }
  readonly transfers: CallTransferEvent[] = [];
  reportTransfer(transfer: CallTransferEvent) {
    this.transfers.push(transfer);
  }
  end(reason: CallEndReason) {
    if (this.state === 'ended') return;
    this.endedWith = reason;
    this.state = 'ended';
  }
  /** A Twilio request under way (awaitTwilio), and how the stream ended meanwhile. */
  twilioRequest?: { streamEndedAs?: CallEndReason };
  awaitTwilio() {
    const request: { streamEndedAs?: CallEndReason } = {};
    this.twilioRequest = request;
    return () => {
      if (this.twilioRequest === request) this.twilioRequest = undefined;
      return request.streamEndedAs;
    };
  }
  /** Twilio's `stop`, as Call handles it: while a Twilio request is under way the call waits for its answer. */
  streamStopped() {
    if (this.twilioRequest) this.twilioRequest.streamEndedAs = 'caller-hung-up';
    else this.end('caller-hung-up');
  }
  direction = 'inbound' as const;
  callbackBaseUrl = 'https://gateway.example.com';
  onHold = false;
  startHold() {
    this.onHold = true;
  }
  stopHold() {
    this.onHold = false;
  }
  recentTurns() {
    return [];
  }
  async requestSideText() {
    return undefined;
  }
}

const ajv = new Ajv();
const anyArgs = { type: 'object' };
const registered = (name: string, handler: RealtimeToolHandler): [string, RegisteredTool] => [
  name,
  { definition: { type: 'function', name, description: name, parameters: anyArgs }, handler, validate: ajv.compile(anyArgs) },
];

function setUp(options: { failRedirect?: boolean; redirectAnswered?: Promise<void>; limits?: CallLimitsOptions; softphone?: boolean; warm?: boolean } = {}) {
  const host = new FakeHost();
  const rest = {
    isConfigured: true,
    completed: [] as string[],
    redirected: [] as Array<[string, string]>,
    async completeCall(sid: string) {
      this.completed.push(sid);
    },
    async redirectCall(sid: string, twiml: string) {
      this.redirected.push([sid, twiml]);
      await options.redirectAnswered;
      if (options.failRedirect) throw new Error('Twilio says no');
    },
    created: [] as Array<Record<string, unknown>>,
    defaultFromNumber: '+15550009999',
    async createCall(request: Record<string, unknown>) {
      this.created.push(request);
      return { sid: 'CA' + 'f'.repeat(32), status: 'queued' };
    },
  };
  const directory = {
    transfers: new Map<string, WarmTransfer>(),
    mint: (callSid: string) => ({ id: `wt1.${callSid}.ticket`, callSid, room: 'warm-transfer-room', expiresAt: Date.now() + 60_000 }),
    add(id: string, transfer: WarmTransfer) {
      this.transfers.set(id, transfer);
    },
    remove(id: string) {
      this.transfers.delete(id);
    },
  };
  const control = new CallControl(host, options.softphone ? undefined : (rest as unknown as TwilioRestClient), {
    endCallEnabled: true,
    transferCallEnabled: true,
    transferDestinations: [
      { name: 'default', number: '+15557654321' },
      { name: 'billing', number: '+15557650000' },
    ],
    maxWaitMs: 10_000,
    transferMode: options.warm ? 'warm' : 'blind',
    warmTransfers: options.warm ? directory : undefined,
    warmTransfer: { holdMessage: 'Please hold.', ringTimeoutS: 25, answerTimeoutS: 8, summaryTimeoutMs: 2000 },
  });
  const runner = new ToolRunner({
    tools: new Map([
      registered('echo', { execute: (args) => args }),
      registered('end_call', new EndCallTool()),
      registered('transfer_call', new TransferCallTool()),
    ]),
    defaultTimeoutMs: 1000,
    logger: host.log,
  });
  const agent = new CallAgent(host, { runner, control, dtmfWindowMs: 500, profile: 'default', parameters: {}, limits: options.limits });
  return { host, rest, agent, directory };
}

/** A warm transfer the assistant asked for (the default destination); `transfer()` is the one under way once it is set up. */
function askForWarmTransfer(options: Parameters<typeof setUp>[0] = {}) {
  const parts = setUp({ warm: true, ...options });
  parts.host.audioResponses.add('r1');
  parts.agent.onFunctionCall({ callId: 'c1', name: 'transfer_call', arguments: '{}', responseId: 'r1' });
  return { ...parts, transfer: () => [...parts.directory.transfers.values()][0] };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));
const types = (host: FakeHost) => host.sent.map((e) => e.type);

/** The assistant speaks the requested words and they are heard. */
const speakAndPlay = async (agent: CallAgent, host: FakeHost, responseId: string) => {
  host.responseActive = false;
  agent.onResponseDone(responseId);
  agent.onMarkPlayed();
  await vi.advanceTimersByTimeAsync(0);
};

describe('CallAgent', () => {
  afterEach(() => vi.useRealTimers());

  it('answers a tool call with its output, and asks for a response only once the calling response is done', async () => {
    const { host, agent } = setUp();
    host.responseActive = true;
    agent.onFunctionCall({ callId: 'c1', name: 'echo', arguments: '{"a":1}', responseId: 'r1' });
    await flush();
    expect(host.sent).toEqual([{ type: 'conversation.item.create', item: { type: 'function_call_output', call_id: 'c1', output: '{"a":1}' } }]);
    host.responseActive = false;
    agent.onResponseDone('r1');
    expect(host.sent.at(-1)).toEqual({ type: 'response.create' });
  });

  it('reports every tool call to the observers, with its result or error and timing', async () => {
    const { host, agent } = setUp();
    agent.onFunctionCall({ callId: 'c1', name: 'echo', arguments: '{"a":1}', responseId: 'r1' });
    agent.onFunctionCall({ callId: 'c2', name: 'nope', arguments: '{}', responseId: 'r1' });
    await flush();
    expect(host.toolCalls).toHaveLength(2);
    const echo = host.toolCalls.find((t) => t.name === 'echo');
    expect(echo).toMatchObject({ arguments: '{"a":1}', result: { a: 1 } });
    expect(echo!.error).toBeUndefined();
    expect(host.toolCalls.find((t) => t.name === 'nope')).toMatchObject({ error: expect.stringContaining('Unknown tool') });
    for (const toolCall of host.toolCalls) {
      expect(toolCall.durationMs).toBeGreaterThanOrEqual(0);
      expect(toolCall.startedAt).toBeGreaterThan(0);
    }
  });

  it('asks for one response after several tool calls of the same response', async () => {
    const { host, agent } = setUp();
    agent.onFunctionCall({ callId: 'c1', name: 'echo', arguments: '{}', responseId: 'r1' });
    agent.onFunctionCall({ callId: 'c2', name: 'echo', arguments: '{}', responseId: 'r1' });
    await flush();
    expect(types(host)).toEqual(['conversation.item.create', 'conversation.item.create', 'response.create']);
  });

  it('ends the call after the goodbye it asked for has been heard, not before', async () => {
    const { host, rest, agent } = setUp();
    agent.onFunctionCall({ callId: 'c1', name: 'end_call', arguments: '{}', responseId: 'r1' });
    await flush();
    expect(host.sent.at(-1)).toEqual({ type: 'response.create', response: { instructions: expect.stringMatching(/goodbye/) } });
    expect(rest.completed).toEqual([]);
    // The goodbye is spoken and played.
    host.responseActive = true;
    host.assistantSpeaking = true;
    host.responseActive = false;
    agent.onResponseDone('r2');
    agent.onMarkPlayed();
    await flush();
    expect(rest.completed).toEqual([]);
    host.assistantSpeaking = false;
    agent.onMarkPlayed();
    await flush();
    expect(rest.completed).toEqual([host.callSid]);
    expect(host.endedWith).toBe('assistant-hung-up');
  });

  it('does not ask for more words when the goodbye came with the end_call, and waits for its last mark', async () => {
    const { host, rest, agent } = setUp();
    host.audioResponses.add('r1');
    host.responseActive = true;
    host.assistantSpeaking = true;
    agent.onFunctionCall({ callId: 'c1', name: 'end_call', arguments: '{}', responseId: 'r1' });
    await flush();
    host.responseActive = false;
    agent.onResponseDone('r1');
    await flush();
    expect(types(host)).toEqual(['conversation.item.create']);
    expect(rest.completed).toEqual([]);
    host.assistantSpeaking = false;
    agent.onMarkPlayed();
    await flush();
    expect(rest.completed).toEqual([host.callSid]);
  });

  it('transfers once with <Dial>; after a failed transfer it tells the model and refuses to retry', async () => {
    const { host, rest, agent } = setUp({ failRedirect: true });
    host.audioResponses.add('r1');
    agent.onFunctionCall({ callId: 'c1', name: 'transfer_call', arguments: '{"reason":"human"}', responseId: 'r1' });
    await flush();
    await flush();
    expect(rest.redirected).toEqual([[host.callSid, '<?xml version="1.0" encoding="UTF-8"?><Response><Dial>+15557654321</Dial></Response>']]);
    expect(host.endedWith).toBeUndefined();
    expect(host.transfers).toEqual([{ mode: 'blind', destination: 'default', outcome: 'failed' }]);
    expect(host.sent.at(-2)).toMatchObject({ type: 'conversation.item.create', item: { role: 'system' } });
    agent.onFunctionCall({ callId: 'c2', name: 'transfer_call', arguments: '{}', responseId: 'r3' });
    await flush();
    const output = host.sent.find((e) => e.type === 'conversation.item.create' && e.item.type === 'function_call_output' && e.item.call_id === 'c2');
    expect(output).toMatchObject({ item: { output: expect.stringContaining('cannot be retried') } });
    expect(rest.redirected).toHaveLength(1);
  });

  it("a stream Twilio stops before answering the redirect: its answer decides, a transfer or the caller's hang-up", async () => {
    let answer!: () => void;
    const moved = setUp({ redirectAnswered: new Promise<void>((resolve) => (answer = resolve)) });
    moved.host.audioResponses.add('r1');
    moved.agent.onFunctionCall({ callId: 'c1', name: 'transfer_call', arguments: '{"reason":"human"}', responseId: 'r1' });
    await flush();
    await flush();
    expect(moved.rest.redirected).toHaveLength(1);
    moved.host.streamStopped(); // Twilio took the new TwiML; its REST answer is still on the way
    expect(moved.host.endedWith).toBeUndefined();
    answer();
    await flush();
    expect(moved.host.endedWith).toBe('transferred');
    expect(moved.host.transfers).toEqual([{ mode: 'blind', destination: 'default', outcome: 'connected' }]);

    // The caller hung up while Twilio was asked, and Twilio refuses: not a transfer.
    let refuse!: () => void;
    const gone = setUp({ failRedirect: true, redirectAnswered: new Promise<void>((resolve) => (refuse = resolve)) });
    gone.host.audioResponses.add('r1');
    gone.agent.onFunctionCall({ callId: 'c1', name: 'transfer_call', arguments: '{"reason":"human"}', responseId: 'r1' });
    await flush();
    await flush();
    gone.host.streamStopped();
    refuse();
    await flush();
    expect(gone.host.endedWith).toBe('caller-hung-up');
    expect(gone.host.transfers).toEqual([{ mode: 'blind', destination: 'default', outcome: 'failed' }]);
    expect(gone.host.sent.filter((e) => e.type === 'response.create')).toEqual([]);
  });

  it('transfers to a destination by its name; a refusal names the destinations, never a number', async () => {
    const { host, rest, agent } = setUp();
    agent.onFunctionCall({ callId: 'c1', name: 'transfer_call', arguments: '{"destination":"+19005550000"}', responseId: 'r1' });
    await flush();
    const refused = host.sent.find((e) => e.type === 'conversation.item.create' && e.item.type === 'function_call_output' && e.item.call_id === 'c1');
    expect(refused).toMatchObject({ item: { output: expect.stringContaining('Available: default, billing') } });
    expect(JSON.stringify(host.sent)).not.toMatch(/\+1555765/);
    agent.onFunctionCall({ callId: 'c2', name: 'transfer_call', arguments: '{"destination":"billing"}', responseId: 'r2' });
    await flush();
    agent.onResponseDone('r2');
    agent.onMarkPlayed();
    await flush();
    expect(rest.redirected).toEqual([[host.callSid, '<?xml version="1.0" encoding="UTF-8"?><Response><Dial>+15557650000</Dial></Response>']]);
    expect(host.endedWith).toBe('transferred');
    // Observers learn of it by the destination's name, never its number.
    expect(host.transfers).toEqual([{ mode: 'blind', destination: 'billing', outcome: 'connected' }]);
  });

  it('on a call without a Twilio call (the softphone), never calls Twilio: no transfer, and a hang-up just ends the stream', async () => {
    const { host, rest, agent } = setUp({ softphone: true });
    agent.onFunctionCall({ callId: 'c1', name: 'transfer_call', arguments: '{}', responseId: 'r1' });
    await flush();
    expect(host.sent.find((e) => e.type === 'conversation.item.create' && e.item.type === 'function_call_output' && e.item.call_id === 'c1')).toMatchObject({
      item: { output: expect.stringContaining('not available') },
    });
    agent.onFunctionCall({ callId: 'c2', name: 'end_call', arguments: '{}', responseId: 'r2' });
    await flush();
    agent.onResponseDone('r2');
    agent.onMarkPlayed();
    await flush();
    expect(host.endedWith).toBe('assistant-hung-up');
    expect(rest.completed).toEqual([]);
    expect(rest.redirected).toEqual([]);
  });

  it('gathers keypad presses within the window into one entry; # ends an entry at once', () => {
    vi.useFakeTimers();
    const { host, agent } = setUp();
    agent.onDtmf('1');
    vi.advanceTimersByTime(300);
    agent.onDtmf('2');
    vi.advanceTimersByTime(499);
    expect(host.sent).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(host.sent).toEqual([
      { type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: '[The caller pressed on the phone keypad: 1 2]' }] } },
      { type: 'response.create' },
    ]);
    agent.onDtmf('9');
    agent.onDtmf('#');
    expect(host.sent.at(-2)).toMatchObject({ item: { content: [{ text: '[The caller pressed on the phone keypad: 9 #]' }] } });
  });

  it('does nothing after it was disposed (call ended)', async () => {
    vi.useFakeTimers();
    const { host, agent } = setUp();
    agent.onDtmf('1');
    agent.dispose();
    vi.advanceTimersByTime(1000);
    agent.onFunctionCall({ callId: 'c1', name: 'echo', arguments: '{}', responseId: 'r1' });
    expect(host.sent).toEqual([]);
  });

  describe('call limits', () => {

    it('nudges an idle caller once, then says goodbye and hangs up when the silence goes on', async () => {
      vi.useFakeTimers();
      const { host, rest, agent } = setUp({ limits: { maxDurationMs: 0, idleTimeoutMs: 30_000 } });
      await vi.advanceTimersByTimeAsync(29_999);
      expect(host.sent).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
      expect(host.sent).toEqual([{ type: 'response.create', response: { instructions: expect.stringMatching(/still there/) } }]);
      await speakAndPlay(agent, host, 'r_nudge');
      await vi.advanceTimersByTimeAsync(30_000);
      expect(host.sent.at(-1)).toEqual({ type: 'response.create', response: { instructions: expect.stringMatching(/goodbye/) } });
      expect(rest.completed).toEqual([]);
      await speakAndPlay(agent, host, 'r_goodbye');
      expect(rest.completed).toEqual([host.callSid]);
      expect(host.endedWith).toBe('caller-idle');
      agent.dispose();
    });

    it('does not count silence while the assistant talks, and starts over when the caller speaks', async () => {
      vi.useFakeTimers();
      const { host, rest, agent } = setUp({ limits: { maxDurationMs: 0, idleTimeoutMs: 30_000 } });
      host.assistantSpeaking = true;
      await vi.advanceTimersByTimeAsync(45_000);
      expect(host.sent).toEqual([]);
      host.assistantSpeaking = false;
      agent.onMarkPlayed();
      await vi.advanceTimersByTimeAsync(30_000);
      expect(host.sent).toHaveLength(1); // the nudge
      await speakAndPlay(agent, host, 'r_nudge');
      await vi.advanceTimersByTimeAsync(20_000);
      agent.onCallerSpeechStarted();
      await vi.advanceTimersByTimeAsync(29_000);
      expect(host.sent).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(1_000);
      // A fresh silence gets a fresh nudge, not the goodbye.
      expect(host.sent.at(-1)).toEqual({ type: 'response.create', response: { instructions: expect.stringMatching(/still there/) } });
      expect(rest.completed).toEqual([]);
      agent.dispose();
    });

    it('ends a call that reaches its maximum length after a goodbye, and leaves no timer behind', async () => {
      vi.useFakeTimers();
      const { host, rest, agent } = setUp({ limits: { maxDurationMs: 600_000, idleTimeoutMs: 0 } });
      host.responseActive = true;
      await vi.advanceTimersByTimeAsync(600_000);
      // The goodbye waits for the running response.
      expect(host.sent).toEqual([]);
      await speakAndPlay(agent, host, 'r_answer');
      expect(host.sent.at(-1)).toEqual({ type: 'response.create', response: { instructions: expect.stringMatching(/maximum length/) } });
      await speakAndPlay(agent, host, 'r_goodbye');
      expect(rest.completed).toEqual([host.callSid]);
      expect(host.endedWith).toBe('max-duration');
      agent.dispose();
      expect(vi.getTimerCount()).toBe(0);
    });
  });

  describe('warm transfer', () => {
    it('holds the caller, dials the colleague with a summary, and after a decline hands the caller back with the limits still working', async () => {
      vi.useFakeTimers();
      const { host, rest, agent, directory } = setUp({ warm: true, limits: { maxDurationMs: 0, idleTimeoutMs: 30_000 } });
      host.audioResponses.add('r1');
      agent.onFunctionCall({ callId: 'c1', name: 'transfer_call', arguments: '{"reason":"wants billing"}', responseId: 'r1' });
      await vi.advanceTimersByTimeAsync(0);
      expect(host.onHold).toBe(true);
      expect(rest.created).toEqual([expect.objectContaining({ to: '+15557654321', from: '+15550009999', timeout: 25, twiml: expect.stringContaining('Reason for the transfer: wants billing.') })]);
      // On hold for longer than the idle timeout: no nudge, no goodbye.
      await vi.advanceTimersByTimeAsync(90_000);
      expect(host.sent.filter((e) => e.type === 'response.create')).toEqual([]);
      const transfer = [...directory.transfers.values()][0];
      expect(transfer.agentAnswered({ kind: 'declined', why: 'declined' })).toBe(true);
      expect(transfer.agentAnswered({ kind: 'accepted' })).toBe(false);
      expect(host.onHold).toBe(false);
      expect(directory.transfers.size).toBe(0);
      expect(host.sent.at(-1)).toEqual({ type: 'response.create', response: { instructions: expect.stringMatching(/could not take the call right now.*carry on helping/) } });
      await speakAndPlay(agent, host, 'r_told');
      // Back with the assistant, the idle limit counts again.
      await vi.advanceTimersByTimeAsync(60_000);
      expect(host.sent.at(-1)).toEqual({ type: 'response.create', response: { instructions: expect.stringMatching(/still there/) } });
      expect(rest.redirected).toEqual([]);
      agent.dispose();
    });

    it('joins the caller to the room once the colleague is in it, and hangs up the colleague when the caller leaves first', async () => {
      const accepted = askForWarmTransfer();
      await flush();
      await flush();
      const transfer = accepted.transfer();
      expect(transfer.agentAnswered({ kind: 'accepted' })).toBe(true);
      await flush();
      // Accepted, but the colleague is not in the room yet: the caller stays on hold and nothing is reported.
      expect(accepted.rest.redirected).toEqual([]);
      expect(accepted.host.onHold).toBe(true);
      expect(accepted.host.transfers).toEqual([]);
      expect(transfer.agentAnswered({ kind: 'joined', callSid: accepted.host.callSid })).toBe(false);
      expect(transfer.agentAnswered({ kind: 'joined', callSid: 'CA' + 'e'.repeat(32) })).toBe(false);
      await flush();
      expect(accepted.rest.redirected).toEqual([]);
      expect(transfer.agentAnswered({ kind: 'joined', callSid: 'CA' + 'f'.repeat(32) })).toBe(true);
      await flush();
      expect(accepted.host.transfers).toEqual([expect.objectContaining({ mode: 'warm', outcome: 'connected' })]);
      expect(accepted.rest.redirected).toEqual([[accepted.host.callSid, expect.stringContaining('<Conference startConferenceOnEnter="true" endConferenceOnExit="true" beep="false">warm-transfer-room</Conference>')]]);
      expect(accepted.host.endedWith).toBe('transferred');

      const abandoned = setUp({ warm: true });
      abandoned.host.audioResponses.add('r1').add('r2');
      abandoned.agent.onFunctionCall({ callId: 'c1', name: 'transfer_call', arguments: '{"mode":"blind"}', responseId: 'r1' });
      await flush();
      expect(abandoned.host.sent.find((e) => e.type === 'conversation.item.create')).toMatchObject({ item: { output: expect.stringContaining('warm only') } });
      abandoned.agent.onResponseDone('r_refusal_read_out');
      abandoned.agent.onFunctionCall({ callId: 'c2', name: 'transfer_call', arguments: '{"mode":"warm"}', responseId: 'r2' });
      await flush();
      await flush();
      expect(abandoned.rest.created).toHaveLength(1);
      abandoned.agent.dispose();
      expect(abandoned.rest.completed).toEqual(['CA' + 'f'.repeat(32)]);
      expect(abandoned.directory.transfers.size).toBe(0);
    });

    it('the caller hanging up while being moved into the room (Twilio then refuses the move) hangs up the colleague; not a transfer', async () => {
      let answer!: () => void;
      const { host, rest, agent, transfer: current } = askForWarmTransfer({ failRedirect: true, redirectAnswered: new Promise<void>((resolve) => (answer = resolve)) });
      await flush();
      await flush();
      const transfer = current();
      expect(transfer.agentAnswered({ kind: 'accepted' })).toBe(true);
      expect(transfer.agentAnswered({ kind: 'joined', callSid: 'CA' + 'f'.repeat(32) })).toBe(true);
      await flush();
      expect(rest.redirected).toHaveLength(1);
      host.streamStopped(); // the caller hangs up: the call waits for Twilio's answer
      answer(); // "Call is not in-progress"
      await flush();
      await flush();
      expect(rest.completed).toEqual(['CA' + 'f'.repeat(32)]);
      expect(host.endedWith).toBe('caller-hung-up');
      expect(host.transfers).toEqual([expect.objectContaining({ mode: 'warm', outcome: 'failed' })]);
      agent.dispose();
    });

    it('an accepting colleague who never reaches the room (leg ended, or no join in time) leaves the caller with the assistant, never in the room', async () => {
      vi.useFakeTimers();
      const dropped = askForWarmTransfer();
      await vi.advanceTimersByTimeAsync(0);
      const first = dropped.transfer();
      expect(first.agentAnswered({ kind: 'accepted' })).toBe(true);
      expect(first.agentAnswered({ kind: 'leg-ended', status: 'completed' })).toBe(true);
      expect(first.agentAnswered({ kind: 'joined', callSid: 'CA' + 'f'.repeat(32) })).toBe(false);
      await vi.advanceTimersByTimeAsync(0);
      expect(dropped.host.onHold).toBe(false);
      expect(dropped.rest.redirected).toEqual([]);
      expect(dropped.rest.completed).toEqual([]);
      expect(dropped.host.transfers).toEqual([expect.objectContaining({ mode: 'warm', outcome: 'no-answer' })]);
      expect(dropped.host.sent.at(-1)).toEqual({ type: 'response.create', response: { instructions: expect.stringMatching(/did not answer.*carry on helping/) } });
      dropped.agent.dispose();

      const silent = askForWarmTransfer();
      await vi.advanceTimersByTimeAsync(0);
      const second = silent.transfer();
      expect(second.agentAnswered({ kind: 'accepted' })).toBe(true);
      await vi.advanceTimersByTimeAsync(JOIN_TIMEOUT_MS - 1);
      expect(silent.host.onHold).toBe(true);
      await vi.advanceTimersByTimeAsync(1);
      expect(silent.rest.completed).toEqual(['CA' + 'f'.repeat(32)]);
      expect(silent.host.onHold).toBe(false);
      expect(silent.rest.redirected).toEqual([]);
      expect(silent.host.transfers).toEqual([expect.objectContaining({ outcome: 'no-answer' })]);
      expect(silent.directory.transfers.size).toBe(0);
      silent.agent.dispose();
    });

    it('the caller hanging up while the accepting colleague is joining hangs up the colleague too', async () => {
      const { host, rest, agent, transfer: current } = askForWarmTransfer();
      await flush();
      await flush();
      const transfer = current();
      expect(transfer.agentAnswered({ kind: 'accepted' })).toBe(true);
      agent.dispose();
      expect(rest.completed).toEqual(['CA' + 'f'.repeat(32)]);
      expect(transfer.agentAnswered({ kind: 'joined', callSid: 'CA' + 'f'.repeat(32) })).toBe(false);
      await flush();
      expect(rest.redirected).toEqual([]);
    });
  });
});
