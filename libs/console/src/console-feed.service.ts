import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { CallEvents, LiveCalls } from '@app/orchestration';
import type { CallObserver, ObservedCall, PlaybackCut } from '@app/orchestration';
import { BENIGN_OPENAI_ERROR_CODES } from '@app/realtime';
import type WebSocket from 'ws';
import { CONSOLE_OPTIONS } from './console.module-definition';
import type { ConsoleModuleOptions } from './console.module-definition';

export type ConsoleEntryKind = 'started' | 'caller' | 'assistant' | 'barge-in' | 'dtmf' | 'error' | 'ended';

export interface ConsoleEntry {
  at: number;
  kind: ConsoleEntryKind;
  text: string;
}

export type ConsoleCallState = 'connecting' | 'listening' | 'caller-speaking' | 'assistant-speaking' | 'ended';

export interface ConsoleCallSummary {
  callSid: string;
  from?: string;
  to?: string;
  profile: string;
  state: ConsoleCallState;
  startedAt: number;
  durationMs: number;
  /** True for calls placed from the console's browser softphone. */
  softphone: boolean;
}

interface WatchedCall {
  call: ObservedCall;
  callSid: string;
  entries: ConsoleEntry[];
  callerSpeaking: boolean;
  endedAt?: number;
}

const MAX_ENTRIES_PER_CALL = 200;
const RECENT_ENDED_CALLS = 20;
const SUMMARY_INTERVAL_MS = 1000;
/** A console that cannot keep up is dropped rather than buffered without bound. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/**
 * The console's view of the calls: a CallEvents observer that keeps each call's transcript,
 * barge-ins and key presses, and pushes them to connected console sockets. Work happens only on
 * call events (never per audio frame) and once a second while a console is open.
 */
@Injectable()
export class ConsoleFeed implements CallObserver, OnModuleInit, OnApplicationShutdown {
  private readonly views = new Map<ObservedCall, WatchedCall>();
  private readonly ended: WatchedCall[] = [];
  private readonly clients = new Set<WebSocket>();
  private unsubscribe?: () => void;
  private ticker?: NodeJS.Timeout;

  constructor(
    private readonly events: CallEvents,
    private readonly registry: LiveCalls,
    @Inject(CONSOLE_OPTIONS) private readonly config: ConsoleModuleOptions,
  ) {}

  onModuleInit(): void {
    // With the console off (the production default) no call is watched: no transcripts kept in memory.
    if (this.config.enabled) this.unsubscribe = this.events.subscribe(this);
  }

  onApplicationShutdown(): void {
    this.unsubscribe?.();
    if (this.ticker) clearInterval(this.ticker);
    for (const client of this.clients) client.close(1001, 'server shutting down');
  }

  // ---- console sockets ------------------------------------------------------------------

  addClient(socket: WebSocket): void {
    this.clients.add(socket);
    socket.on('close', () => {
      this.clients.delete(socket);
      if (this.clients.size === 0 && this.ticker) {
        clearInterval(this.ticker);
        this.ticker = undefined;
      }
    });
    socket.on('error', () => undefined);
    const views = [...this.ended, ...this.liveViews()];
    send(socket, { type: 'hello', calls: views.map((v) => ({ ...this.summary(v), entries: v.entries })) });
    this.ticker ??= setInterval(() => this.broadcast({ type: 'calls', calls: this.summaries() }), SUMMARY_INTERVAL_MS);
  }

  summaries(): ConsoleCallSummary[] {
    return [...this.ended, ...this.liveViews()].map((v) => this.summary(v));
  }

  // ---- call events ----------------------------------------------------------------------

  callStarted(call: ObservedCall): void {
    const view: WatchedCall = { call, callSid: call.callSid ?? 'unknown', entries: [], callerSpeaking: false };
    this.views.set(call, view);
    this.add(view, 'started', `call from ${call.from ?? 'unknown'}`);
    this.broadcast({ type: 'calls', calls: this.summaries() });
  }

  callerSpeechStarted(call: ObservedCall): void {
    const view = this.views.get(call);
    if (view) view.callerSpeaking = true;
  }

  callerSpeechStopped(call: ObservedCall): void {
    const view = this.views.get(call);
    if (view) view.callerSpeaking = false;
  }

  callerTranscript(call: ObservedCall, _itemId: string, transcript: string): void {
    this.addFor(call, 'caller', transcript);
  }

  assistantTranscript(call: ObservedCall, _itemId: string, transcript: string): void {
    this.addFor(call, 'assistant', transcript);
  }

  bargeIn(call: ObservedCall, cuts: PlaybackCut[]): void {
    this.addFor(call, 'barge-in', `caller interrupted the assistant${cuts.length ? ` (${describeCuts(cuts)})` : ''}`);
  }

  dtmf(call: ObservedCall, digit: string): void {
    this.addFor(call, 'dtmf', `pressed ${digit}`);
  }

  openAiError(call: ObservedCall, code: string, message: string | undefined): void {
    if (BENIGN_OPENAI_ERROR_CODES.has(code)) return;
    this.addFor(call, 'error', `${code}${message ? `: ${message}` : ''}`);
  }

  callEnded(call: ObservedCall, reason: string): void {
    const view = this.views.get(call);
    if (!view) return;
    this.views.delete(call);
    view.endedAt = Date.now();
    this.add(view, 'ended', `call ended: ${reason.replace(/-/g, ' ')}`);
    this.ended.push(view);
    if (this.ended.length > RECENT_ENDED_CALLS) this.ended.shift();
    this.broadcast({ type: 'calls', calls: this.summaries() });
  }

  // ---- internals ------------------------------------------------------------------------

  private liveViews(): WatchedCall[] {
    // The registry is the source of truth for what is live; views cover calls seen starting.
    return this.registry.observed().map((call) => this.views.get(call)).filter((v): v is WatchedCall => v !== undefined);
  }

  private addFor(call: ObservedCall, kind: ConsoleEntryKind, text: string): void {
    const view = this.views.get(call);
    if (view) this.add(view, kind, text);
  }

  private add(view: WatchedCall, kind: ConsoleEntryKind, text: string): void {
    const entry: ConsoleEntry = { at: Date.now(), kind, text };
    view.entries.push(entry);
    if (view.entries.length > MAX_ENTRIES_PER_CALL) view.entries.shift();
    this.broadcast({ type: 'entry', callSid: view.callSid, entry });
  }

  private summary(view: WatchedCall): ConsoleCallSummary {
    const { call } = view;
    const startedAt = call.startedAt ?? call.connectedAt;
    let state: ConsoleCallState;
    if (view.endedAt !== undefined || call.state === 'ended') state = 'ended';
    else if (call.state === 'connecting') state = 'connecting';
    else if (call.assistantSpeaking) state = 'assistant-speaking';
    else if (view.callerSpeaking) state = 'caller-speaking';
    else state = 'listening';
    return {
      callSid: view.callSid,
      from: call.from,
      to: call.to,
      profile: call.profile,
      state,
      startedAt,
      durationMs: (view.endedAt ?? Date.now()) - startedAt,
      softphone: call.origin === 'softphone',
    };
  }

  private broadcast(message: Record<string, unknown>): void {
    if (this.clients.size === 0) return;
    const text = JSON.stringify(message);
    for (const client of this.clients) send(client, text);
  }
}

function send(socket: WebSocket, message: string | Record<string, unknown>): void {
  if (socket.readyState !== 1) return;
  if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
    socket.terminate();
    return;
  }
  socket.send(typeof message === 'string' ? message : JSON.stringify(message));
}

function describeCuts(cuts: PlaybackCut[]): string {
  return cuts.map((cut) => `heard ${(cut.playedMs / 1000).toFixed(1)} s of ${(cut.sentMs / 1000).toFixed(1)} s sent`).join('; ');
}
