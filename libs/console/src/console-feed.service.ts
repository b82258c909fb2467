import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { TranscriptRedactor } from '@app/call-records';
import { FleetBus, InstanceSnapshots, SharedLists } from '@app/fleet';
import { CallEvents, LiveCalls } from '@app/orchestration';
import type { CallObserver, CallTransferEvent, ObservedCall, PlaybackCut, RecordingStartedEvent, ToolCallEvent, VoicemailEvent } from '@app/orchestration';
import { BENIGN_OPENAI_ERROR_CODES } from '@app/realtime';
import type WebSocket from 'ws';
import { CONSOLE_OPTIONS } from './console.module-definition';
import type { ConsoleModuleOptions } from './console.module-definition';

export type ConsoleEntryKind = 'started' | 'caller' | 'assistant' | 'barge-in' | 'dtmf' | 'tool' | 'transfer' | 'voicemail' | 'recording' | 'error' | 'ended';

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
  /** The summary at the end, once ended (the call object is gone by then). */
  final?: ConsoleCallSummary;
}

/** A call and its history, as a new console receives it. */
type CallHistory = ConsoleCallSummary & { entries: ConsoleEntry[] };

// Bounds: every message the feed sends, and everything it keeps or shares, has a size limit.
/** Longer entry texts (a transcript, a key press) are cut, with an ellipsis. */
export const MAX_ENTRY_TEXT = 1000;
const MAX_FIELD_TEXT = 64;
const MAX_ENTRIES_PER_CALL = 200;
const RECENT_ENDED_CALLS = 20;
/** A new console's snapshot: this many calls, each with its latest entries, within this many bytes. */
const HELLO_MAX_CALLS = 100;
const HELLO_MAX_ENTRIES_PER_CALL = 50;
export const HELLO_MAX_BYTES = 256 * 1024;
/** Summaries per periodic `calls` message. */
const MAX_SUMMARIES = 200;
const SUMMARY_INTERVAL_MS = 1000;
/** A console that cannot keep up is dropped rather than buffered without bound. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

// Sharing with the other instances (fleet bus and shared lists in Redis; this process alone without it).
const CONSOLE_TOPIC = 'console';
/** Each instance's live calls, refreshed every second; gone this long after the instance stops. */
const LIVE_CALLS_NAMESPACE = 'console-live-calls';
const LIVE_CALLS_TTL_MS = 10_000;
const ENDED_LIST = 'console:ended';
const entriesList = (callSid: string) => `console:entries:${callSid}`;
const ENTRIES_TTL_MS = 60 * 60_000;
/** Another instance's summaries count as current this long after it last published them. */
const REMOTE_FRESH_MS = 5000;

type BusMessage = { kind: 'entry'; callSid: string; entry: ConsoleEntry } | { kind: 'calls'; calls: ConsoleCallSummary[] };

/**
 * The console's view of the calls, across every instance: a CallEvents observer that keeps this
 * instance's calls (transcript, barge-ins, key presses) and pushes them to its console sockets, and
 * shares them with the other instances: each entry and a summary of its calls every second go on
 * the fleet bus, and the live calls, their recent entries and the recently ended calls are kept in
 * shared, expiring lists, so a console opened on any instance sees every instance's calls. Without
 * shared state (or while Redis is down) it shows this instance's calls. Work happens only on call
 * events (never per audio frame) and once a second.
 */
@Injectable()
export class ConsoleFeed implements CallObserver, OnModuleInit, OnApplicationShutdown {
  private readonly views = new Map<ObservedCall, WatchedCall>();
  private readonly ended: WatchedCall[] = [];
  private readonly clients = new Set<WebSocket>();
  /** Other instances' latest summaries (from the bus), by instance. */
  private readonly remote = new Map<string, { calls: ConsoleCallSummary[]; at: number }>();
  private readonly unsubscribers: Array<() => void> = [];
  private ticker?: NodeJS.Timeout;
  private hadLiveCalls = false;
  /** With TRANSCRIPT_REDACTION on, what the caller and the assistant said is redacted here too (shown and shared alike). */
  private readonly redactor?: TranscriptRedactor;

  constructor(
    private readonly events: CallEvents,
    private readonly registry: LiveCalls,
    private readonly bus: FleetBus,
    private readonly snapshots: InstanceSnapshots,
    private readonly lists: SharedLists,
    @Inject(CONSOLE_OPTIONS) private readonly config: ConsoleModuleOptions,
  ) {
    if (config.redaction?.length) this.redactor = new TranscriptRedactor(config.redaction);
  }

  onModuleInit(): void {
    // With the console off (the production default) no call is watched: no transcripts kept or shared.
    if (!this.config.enabled) return;
    this.unsubscribers.push(this.events.subscribe(this));
    this.unsubscribers.push(this.bus.subscribe(CONSOLE_TOPIC, (message, from) => this.onRemote(message, from)));
    this.ticker = setInterval(() => this.tick(), SUMMARY_INTERVAL_MS);
    this.ticker.unref();
  }

  onApplicationShutdown(): void {
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
    clearInterval(this.ticker);
    for (const client of this.clients) client.close(1001, 'server shutting down');
  }

  // ---- console sockets ------------------------------------------------------------------

  /** A console connected: it gets a snapshot of every instance's calls, then the live feed. */
  addClient(socket: WebSocket): void {
    socket.on('error', () => undefined);
    socket.once('close', () => this.clients.delete(socket));
    void this.snapshot().then((calls) => {
      if (socket.readyState !== 1) return;
      send(socket, JSON.stringify({ type: 'hello', calls }));
      this.clients.add(socket);
    });
  }

  /** This instance's calls: the recently ended, then the live ones. */
  summaries(): ConsoleCallSummary[] {
    return [...this.ended, ...this.liveViews()].map((v) => this.summary(v));
  }

  // ---- call events ----------------------------------------------------------------------

  callStarted(call: ObservedCall): void {
    const view: WatchedCall = { call, callSid: call.callSid ?? 'unknown', entries: [], callerSpeaking: false };
    this.views.set(call, view);
    this.add(view, 'started', `call from ${call.from ?? 'unknown'}`);
    this.tick();
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
    this.addFor(call, 'caller', this.redacted(transcript));
  }

  assistantTranscript(call: ObservedCall, _itemId: string, transcript: string): void {
    this.addFor(call, 'assistant', this.redacted(transcript));
  }

  bargeIn(call: ObservedCall, cuts: PlaybackCut[]): void {
    this.addFor(call, 'barge-in', `caller interrupted the assistant${cuts.length ? ` (${describeCuts(cuts)})` : ''}`);
  }

  dtmf(call: ObservedCall, digit: string): void {
    this.addFor(call, 'dtmf', `pressed ${digit}`);
  }

  /** The tool's name, outcome and time; its arguments and result stay in the call record. */
  toolCalled(call: ObservedCall, tool: ToolCallEvent): void {
    const took = `${Math.round(tool.durationMs)} ms`;
    this.addFor(call, 'tool', tool.error === undefined ? `${tool.name}: done in ${took}` : `${tool.name}: failed after ${took}: ${this.redacted(tool.error)}`);
  }

  callTransferred(call: ObservedCall, transfer: CallTransferEvent): void {
    const outcome = TRANSFER_OUTCOME[transfer.outcome] ?? transfer.outcome;
    const summary = transfer.summary ? `; the colleague heard: ${this.redacted(transfer.summary)}` : '';
    this.addFor(call, 'transfer', `${transfer.mode} transfer to ${transfer.destination}: ${outcome}${summary}`);
  }

  voicemailDetection(call: ObservedCall, result: VoicemailEvent): void {
    const who = result.answeredBy ? `answered by ${result.answeredBy.replace(/_/g, ' ')}` : result.outcome ? 'a machine answered' : 'no answering-machine verdict';
    const by = result.detectedBy ? ` (detected by ${result.detectedBy === 'model' ? 'the assistant' : 'Twilio'})` : '';
    const outcome = result.outcome ? `: ${VOICEMAIL_OUTCOME[result.outcome] ?? result.outcome}` : '';
    this.addFor(call, 'voicemail', `${who}${by}${outcome}`);
  }

  recordingStarted(call: ObservedCall, recording: RecordingStartedEvent): void {
    this.addFor(call, 'recording', `recording started (${recording.channels === 2 ? 'dual channel' : `${recording.channels} channel`}, ${recording.sid})`);
  }

  recordingFailed(call: ObservedCall, error: string): void {
    this.addFor(call, 'error', `the recording could not start: ${error}`);
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
    view.final = this.summary(view);
    this.ended.push(view);
    if (this.ended.length > RECENT_ENDED_CALLS) this.ended.shift();
    this.lists.append(ENDED_LIST, JSON.stringify(view.final), { max: RECENT_ENDED_CALLS, ttlMs: ENTRIES_TTL_MS, newestFirst: true });
    this.tick();
  }

  // ---- internals ------------------------------------------------------------------------

  private redacted(text: string): string {
    return this.redactor ? this.redactor.redact(text) : text;
  }

  /**
   * Once a second (and at once when a call starts or ends): the merged call list to this
   * instance's consoles; this instance's calls to the others (bus) and to the shared list.
   */
  private tick(): void {
    const own = this.summaries();
    const live = this.liveViews();
    if (live.length > 0 || this.hadLiveCalls) {
      this.bus.publish(CONSOLE_TOPIC, { kind: 'calls', calls: own.slice(-MAX_SUMMARIES) } satisfies BusMessage);
      if (live.length > 0) void this.snapshots.put(LIVE_CALLS_NAMESPACE, JSON.stringify(live.map((v) => this.summary(v))), LIVE_CALLS_TTL_MS);
    }
    this.hadLiveCalls = live.length > 0;
    if (this.clients.size > 0) this.broadcast(JSON.stringify({ type: 'calls', calls: this.mergedSummaries(own) }));
  }

  private mergedSummaries(own: ConsoleCallSummary[]): ConsoleCallSummary[] {
    const now = Date.now();
    const byCall = new Map<string, ConsoleCallSummary>();
    for (const [instance, { calls, at }] of this.remote) {
      if (now - at > REMOTE_FRESH_MS) this.remote.delete(instance);
      else for (const summary of calls) byCall.set(summary.callSid, summary);
    }
    for (const summary of own) byCall.set(summary.callSid, summary);
    return [...byCall.values()].slice(-MAX_SUMMARIES);
  }

  private onRemote(message: unknown, from: string): void {
    if (from === this.bus.instanceId || message === null || typeof message !== 'object') return;
    const remote = message as Partial<BusMessage>;
    if (remote.kind === 'entry' && typeof remote.callSid === 'string' && isEntry(remote.entry)) {
      this.broadcast(JSON.stringify({ type: 'entry', callSid: remote.callSid, entry: boundedEntry(remote.entry) }));
    } else if (remote.kind === 'calls' && Array.isArray(remote.calls)) {
      this.remote.set(from, { calls: remote.calls.filter(isSummary).slice(-MAX_SUMMARIES), at: Date.now() });
    }
  }

  /** Every instance's calls with their recent entries, bounded; this instance's alone when shared state is unavailable. */
  private async snapshot(): Promise<CallHistory[]> {
    const histories = new Map<string, CallHistory>();
    const [others, ended] = await Promise.all([
      this.snapshots.readOthers(LIVE_CALLS_NAMESPACE),
      this.lists.readMany([ENDED_LIST], RECENT_ENDED_CALLS, { newestFirst: true }),
    ]);
    // Live first, then ended: a call that just ended may still be in its instance's live list.
    const shared: ConsoleCallSummary[] = [];
    for (const { value } of others ?? []) shared.push(...parseSummaries(value));
    if (!others) for (const { calls } of this.remote.values()) shared.push(...calls); // shared state unavailable: what the bus said
    for (const text of [...(ended?.get(ENDED_LIST) ?? [])].reverse()) shared.push(...parseSummaries(`[${text}]`));
    const ownCallSids = new Set([...this.ended, ...this.views.values()].map((v) => v.callSid));
    const foreignByCall = new Map<string, ConsoleCallSummary>();
    for (const summary of shared) if (!ownCallSids.has(summary.callSid)) foreignByCall.set(summary.callSid, summary);
    const foreign = [...foreignByCall.values()].slice(-HELLO_MAX_CALLS);
    const entries = await this.lists.readMany(
      foreign.map((summary) => entriesList(summary.callSid)),
      HELLO_MAX_ENTRIES_PER_CALL,
    );
    for (const summary of foreign) {
      histories.set(summary.callSid, { ...summary, entries: parseEntries(entries?.get(entriesList(summary.callSid)) ?? []) });
    }
    for (const view of [...this.ended, ...this.liveViews()]) histories.set(view.callSid, { ...this.summary(view), entries: view.entries });
    return bounded([...histories.values()]);
  }

  private liveViews(): WatchedCall[] {
    // The registry is the source of truth for what is live; views cover calls seen starting.
    return this.registry.observed().map((call) => this.views.get(call)).filter((v): v is WatchedCall => v !== undefined);
  }

  private addFor(call: ObservedCall, kind: ConsoleEntryKind, text: string): void {
    const view = this.views.get(call);
    if (view) this.add(view, kind, text);
  }

  private add(view: WatchedCall, kind: ConsoleEntryKind, text: string): void {
    const entry: ConsoleEntry = { at: Date.now(), kind, text: boundedText(text, MAX_ENTRY_TEXT) };
    view.entries.push(entry);
    if (view.entries.length > MAX_ENTRIES_PER_CALL) view.entries.shift();
    this.broadcast(JSON.stringify({ type: 'entry', callSid: view.callSid, entry }));
    this.bus.publish(CONSOLE_TOPIC, { kind: 'entry', callSid: view.callSid, entry } satisfies BusMessage);
    this.lists.append(entriesList(view.callSid), JSON.stringify(entry), { max: MAX_ENTRIES_PER_CALL, ttlMs: ENTRIES_TTL_MS });
  }

  private summary(view: WatchedCall): ConsoleCallSummary {
    if (view.final) return view.final;
    const { call } = view;
    const startedAt = call.startedAt ?? call.connectedAt;
    let state: ConsoleCallState;
    if (view.endedAt !== undefined || call.state === 'ended') state = 'ended';
    else if (call.state === 'connecting') state = 'connecting';
    else if (call.assistantSpeaking) state = 'assistant-speaking';
    else if (view.callerSpeaking) state = 'caller-speaking';
    else state = 'listening';
    return {
      callSid: boundedText(view.callSid, MAX_FIELD_TEXT),
      from: call.from === undefined ? undefined : boundedText(call.from, MAX_FIELD_TEXT),
      to: call.to === undefined ? undefined : boundedText(call.to, MAX_FIELD_TEXT),
      profile: boundedText(call.profile, MAX_FIELD_TEXT),
      state,
      startedAt,
      durationMs: (view.endedAt ?? Date.now()) - startedAt,
      softphone: call.origin === 'softphone',
    };
  }

  private broadcast(text: string): void {
    for (const client of this.clients) send(client, text);
  }
}

function send(socket: WebSocket, message: string): void {
  if (socket.readyState !== 1) return;
  if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
    socket.terminate();
    return;
  }
  socket.send(message);
}

function boundedText(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The snapshot within its limits: live calls first, the newest first, then fewer entries per call until it fits. */
function bounded(histories: CallHistory[]): CallHistory[] {
  const ordered = histories
    .sort((a, b) => Number(a.state === 'ended') - Number(b.state === 'ended') || b.startedAt - a.startedAt)
    .slice(0, HELLO_MAX_CALLS)
    .reverse();
  for (let perCall = HELLO_MAX_ENTRIES_PER_CALL; ; perCall = Math.floor(perCall / 2)) {
    const calls = ordered.map((history) => ({ ...history, entries: perCall === 0 ? [] : history.entries.slice(-perCall) }));
    if (perCall === 0 || Buffer.byteLength(JSON.stringify(calls)) <= HELLO_MAX_BYTES) return calls;
  }
}

function boundedEntry(entry: ConsoleEntry): ConsoleEntry {
  return { at: entry.at, kind: entry.kind, text: boundedText(entry.text, MAX_ENTRY_TEXT) };
}

const ENTRY_KINDS = new Set<string>(['started', 'caller', 'assistant', 'barge-in', 'dtmf', 'tool', 'transfer', 'voicemail', 'recording', 'error', 'ended']);

const TRANSFER_OUTCOME: Record<string, string> = { connected: 'connected', declined: 'declined by the colleague', 'no-answer': 'no answer', failed: 'failed' };
const VOICEMAIL_OUTCOME: Record<string, string> = {
  left: 'message left, hung up',
  'hung-up': 'hung up without a message',
  fax: 'a fax, hung up',
  failed: 'the voicemail drop failed',
};

function isEntry(value: unknown): value is ConsoleEntry {
  const entry = value as ConsoleEntry | null;
  return typeof entry === 'object' && entry !== null && typeof entry.at === 'number' && ENTRY_KINDS.has(entry.kind) && typeof entry.text === 'string';
}

function isSummary(value: unknown): value is ConsoleCallSummary {
  const summary = value as ConsoleCallSummary | null;
  return (
    typeof summary === 'object' &&
    summary !== null &&
    typeof summary.callSid === 'string' &&
    summary.callSid.length <= MAX_FIELD_TEXT &&
    typeof summary.state === 'string' &&
    typeof summary.startedAt === 'number'
  );
}

function parseSummaries(text: string): ConsoleCallSummary[] {
  try {
    const value = JSON.parse(text) as unknown;
    return Array.isArray(value) ? value.filter(isSummary) : [];
  } catch {
    return [];
  }
}

function parseEntries(texts: string[]): ConsoleEntry[] {
  return texts.flatMap((text) => {
    try {
      const entry = JSON.parse(text) as unknown;
      return isEntry(entry) ? [boundedEntry(entry)] : [];
    } catch {
      return [];
    }
  });
}

function describeCuts(cuts: PlaybackCut[]): string {
  return cuts.map((cut) => `heard ${(cut.playedMs / 1000).toFixed(1)} s of ${(cut.sentMs / 1000).toFixed(1)} s sent`).join('; ');
}
