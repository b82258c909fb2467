import type { AssistantLookupOutcome, CallEndReason, CallObserver, ObservedCall, PlaybackCut, ToolCallEvent } from '@app/orchestration';
import type { GatewayTracing } from './gateway-tracing.service';
import type { TraceSpan } from './trace-span';

/** The open spans of one call. */
class CallTrace {
  connect?: TraceSpan;
  sessionReady?: TraceSpan;
  turn?: TraceSpan;
  reconnect?: TraceSpan;
  turns = 0;

  constructor(readonly root: TraceSpan, readonly callSid: string | undefined) {}
}

/** What happened to a call before `callStarted` (which waits for the assistant lookup): epoch ms. */
interface BeforeStart {
  lookup?: { outcome: AssistantLookupOutcome; durationMs: number; endedAt: number };
  openAiConnectedAt?: number;
}

/**
 * One trace per call, from call events: the `call` span (a child of the voice webhook's span when
 * the stream carried its traceparent) and its children `openai.connect`, `openai.session_ready`,
 * `turn`, `barge_in`, `tool.call` and `openai.reconnect`. Attributes are ids, names, codes and
 * durations: never a phone number, a transcript, a tool's arguments or result, or a keypad digit.
 * Subscribed only while tracing is on.
 */
export class CallTracer implements CallObserver {
  private readonly calls = new WeakMap<ObservedCall, CallTrace>();
  private readonly beforeStart = new WeakMap<ObservedCall, BeforeStart>();

  constructor(private readonly tracing: GatewayTracing) {}

  callStarted(call: ObservedCall): void {
    const startTime = call.startedAt ?? call.connectedAt;
    const root = this.tracing.startSpan('call', {
      parent: call.traceParent,
      kind: 'server',
      startTime,
      attributes: {
        'call.sid': call.callSid,
        'call.direction': call.direction,
        'call.origin': call.origin,
        'assistant.profile': call.profile,
        'openai.model': call.model,
      },
    });
    const trace = new CallTrace(root, call.callSid);
    trace.connect = this.tracing.startSpan('openai.connect', { parentSpan: root, kind: 'client', startTime });
    trace.sessionReady = this.tracing.startSpan('openai.session_ready', { parentSpan: root, startTime });
    if (call.callSid) this.tracing.registerCall(call.callSid, root);
    this.calls.set(call, trace);
    const before = this.beforeStart.get(call);
    if (before === undefined) return;
    this.beforeStart.delete(call);
    if (before.lookup) {
      const { outcome, durationMs, endedAt } = before.lookup;
      const lookup = this.tracing.startSpan('assistant.lookup', { parentSpan: root, kind: 'client', startTime: endedAt - durationMs, attributes: { 'lookup.outcome': outcome } });
      if (outcome === 'timeout' || outcome === 'error' || outcome === 'invalid') lookup.setError(outcome);
      lookup.end(endedAt);
    }
    if (before.openAiConnectedAt !== undefined) {
      trace.connect?.end(before.openAiConnectedAt);
      trace.connect = undefined;
    }
  }

  /** The assistant lookup comes before `callStarted`: its span is made when the call's trace is. */
  assistantLookup(call: ObservedCall, outcome: AssistantLookupOutcome, durationMs: number): void {
    this.before(call).lookup = { outcome, durationMs, endedAt: Date.now() };
  }

  private before(call: ObservedCall): BeforeStart {
    let before = this.beforeStart.get(call);
    if (before === undefined) this.beforeStart.set(call, (before = {}));
    return before;
  }

  /** The first socket ends `openai.connect`; a later one ends the `openai.reconnect` under way. */
  openAiConnected(call: ObservedCall): void {
    const trace = this.calls.get(call);
    if (!trace) {
      // The socket opened while the assistant lookup was still under way.
      this.before(call).openAiConnectedAt = Date.now();
      return;
    }
    if (trace.connect) {
      trace.connect.end();
      trace.connect = undefined;
    } else if (trace.reconnect) {
      trace.reconnect.end();
      trace.reconnect = undefined;
    }
  }

  sessionReady(call: ObservedCall, setupMs: number): void {
    const trace = this.calls.get(call);
    if (!trace) return;
    trace.root.setAttribute('openai.setup_ms', setupMs);
    trace.sessionReady?.end();
    trace.sessionReady = undefined;
  }

  callerSpeechStopped(call: ObservedCall): void {
    const trace = this.calls.get(call);
    if (!trace) return;
    if (trace.turn) this.endTurn(trace, false);
    trace.turns++;
    trace.turn = this.tracing.startSpan('turn', { parentSpan: trace.root, attributes: { 'turn.number': trace.turns } });
  }

  assistantAudioStarted(call: ObservedCall, _responseId: string, latencyMs: number | undefined): void {
    const trace = this.calls.get(call);
    if (!trace?.turn || latencyMs === undefined) return;
    trace.turn.setAttribute('turn.latency_ms', latencyMs);
    this.endTurn(trace, true);
  }

  bargeIn(call: ObservedCall, cuts: PlaybackCut[]): void {
    const trace = this.calls.get(call);
    if (!trace) return;
    let heardMs = 0;
    let sentMs = 0;
    for (const cut of cuts) {
      heardMs += cut.playedMs;
      sentMs += cut.sentMs;
    }
    const span = this.tracing.startSpan('barge_in', {
      parentSpan: trace.root,
      attributes: { 'barge_in.heard_ms': heardMs, 'barge_in.sent_ms': sentMs, 'barge_in.items': cuts.length },
    });
    span.end();
  }

  toolCalled(call: ObservedCall, toolCall: ToolCallEvent): void {
    const trace = this.calls.get(call);
    if (!trace) return;
    const span = this.tracing.startSpan('tool.call', {
      parentSpan: trace.root,
      startTime: toolCall.startedAt,
      attributes: { 'tool.name': toolCall.name, 'tool.duration_ms': toolCall.durationMs },
    });
    // The error text may quote the caller (a tool's message): only that it failed is recorded.
    if (toolCall.error !== undefined) span.setError('tool failed');
    span.end(toolCall.startedAt + toolCall.durationMs);
  }

  openAiReconnect(call: ObservedCall, attempt: number): void {
    const trace = this.calls.get(call);
    if (!trace) return;
    trace.reconnect?.end();
    trace.reconnect = this.tracing.startSpan('openai.reconnect', { parentSpan: trace.root, kind: 'client', attributes: { 'openai.reconnect.attempt': attempt } });
  }

  openAiError(call: ObservedCall, code: string): void {
    this.calls.get(call)?.root.addEvent('openai.error', { 'openai.error.code': code.slice(0, 100) });
  }

  openAiFeatureDropped(call: ObservedCall, feature: string): void {
    this.calls.get(call)?.root.addEvent('openai.feature_dropped', { 'openai.feature': feature });
  }

  callEnded(call: ObservedCall, reason: CallEndReason): void {
    const trace = this.calls.get(call);
    if (!trace) return;
    this.calls.delete(call);
    if (trace.turn) this.endTurn(trace, false);
    for (const span of [trace.connect, trace.sessionReady, trace.reconnect]) {
      if (!span) continue;
      span.setError('call ended first');
      span.end();
    }
    const { root } = trace;
    root.setAttribute('call.end_reason', reason);
    if (reason === 'openai-failed' || reason === 'stream-stalled') root.setError(reason);
    if (trace.callSid) this.tracing.unregisterCall(trace.callSid, root);
    root.end(call.endedAt);
  }

  private endTurn(trace: CallTrace, answered: boolean): void {
    trace.turn?.setAttribute('turn.answered', answered);
    trace.turn?.end();
    trace.turn = undefined;
  }
}
