import type { Logger } from 'pino';
import { base64DecodedLength } from './base64-length';
import { PreReadyBuffer } from './pre-ready-buffer';
import { cutAtWord } from './transcript-cut';
import type { RealtimeClientEvent, RealtimeConversationItem, RealtimeServerEvent, RealtimeSessionConfig } from './realtime-events';
import { RealtimeCloseInfo, RealtimeSession, RealtimeSessionListener } from './realtime-session';
import type { RealtimeSessionFallbacks } from './session-config';

/** What a call needs from its OpenAI side; both RealtimeSession and ResilientRealtimeSession provide it. */
export interface RealtimeConversation {
  configure(config: RealtimeSessionConfig, fallbacks?: RealtimeSessionFallbacks): void;
  connect(): void;
  /** A session is connected and configured: appended audio goes straight to OpenAI. */
  readonly isReady: boolean;
  appendAudio(base64Audio: string): void;
  send(event: RealtimeClientEvent): void;
  close(code?: number, reason?: string): void;
}

export interface ResilienceOptions {
  /** From opening a socket to `session.updated`; past it the attempt is abandoned. */
  connectTimeoutMs: number;
  /** Tries per connect or reconnect. */
  connectAttempts: number;
  /** Session losses (drops, expiries) one call may recover from. */
  maxReconnects: number;
  /** Size of the pre-ready buffer: caller audio kept while no session is ready (first connect, reconnects), in ms of µ-law; oldest dropped first. */
  preReadyBufferMs: number;
  /** Base of the exponential back-off between tries of one (re)connect. */
  retryDelayMs?: number;
  /** The conversation replayed into a fresh session is capped to its most recent turns and characters. */
  maxReplayTurns?: number;
  maxReplayChars?: number;
  /** More unsent bytes than this on the socket (OpenAI stopped reading) hand the call to the fallback; default 256 KiB. */
  maxBufferedBytes?: number;
}

/** About 19 s of caller audio that OpenAI has not read, beyond what the kernel buffers. */
export const DEFAULT_MAX_BUFFERED_BYTES = 256 * 1024;

export interface ResilienceHooks {
  /** Opens one raw session; called for the first connect and for every retry. */
  open(listener: RealtimeSessionListener): RealtimeSession;
  /**
   * OpenAI could not be recovered. Resolves once the caller has been taken care of (fallback);
   * only then is the owner told that the session closed.
   */
  giveUp(reason: string): Promise<void>;
}

interface Turn {
  role: 'user' | 'assistant';
  text: string;
  /** An assistant turn: its item, and the audio generated for it (what the transcript covers). */
  itemId?: string;
  audioMs?: number;
  /** What the caller heard of it, when the call cut it at a barge-in (0: deleted, nothing heard). */
  heardMs?: number;
}

/** Audio generated for one assistant item so far. */
interface ItemAudio {
  itemId: string;
  bytes: number;
}

/** Cuts and audio counts kept for items whose transcript has not come yet (a few at most). */
const PENDING_ITEMS_KEPT = 8;

/** Errors that say retrying is pointless: the account or the key is the problem. */
const FATAL_ERROR_CODES = new Set(['invalid_api_key', 'insufficient_quota', 'account_deactivated', 'model_not_found']);

/**
 * A call's OpenAI side that survives OpenAI: it times out slow connects and retries them (bounded,
 * with back-off), reconnects when the socket drops or the session expires (60 minutes), replays the
 * session configuration and the conversation so far (transcripts as conversation items, an answer
 * the caller interrupted only as far as they heard it: the call's truncate and delete say where)
 * into the fresh session, and keeps caller audio in its pre-ready buffer (bounded) meanwhile. When recovery fails it hands
 * the caller to `giveUp` (the Twilio fallback) and only then reports the session closed.
 *
 * The owner sees one session: `onSessionReady` once (so the greeting is not repeated), every server
 * event except the ones handled here, and `onSessionClosed` once. Barge-in bookkeeping that names an
 * item or response of a dead session (truncate, delete, cancel) is dropped: the new session never
 * knew it. Assistant audio of a dead session already queued at Twilio is left to play out.
 */
export class ResilientRealtimeSession implements RealtimeConversation {
  private inner?: RealtimeSession;
  /** The configuration every (re)connect sends; a part OpenAI refused stays out of it. */
  private config?: RealtimeSessionConfig;
  private fallbacks?: RealtimeSessionFallbacks;
  private connected = false;
  private everReady = false;
  private closed = false;
  private gaveUp = false;
  /** Tries started in the current (re)connect; 0 once a session is ready. */
  private attempt = 0;
  private reconnects = 0;
  private connectTimer?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  private readonly preReadyBuffer: PreReadyBuffer;
  private readonly turns: Turn[] = [];
  private turnChars = 0;
  /** Items and responses the current session created (barge-in may only name these). */
  private liveItems = new Set<string>();
  private liveResponses = new Set<string>();
  private lastDeltaItemId?: string;
  /** Audio generated for the latest assistant items, counted until their transcript is done. */
  private readonly itemAudio: ItemAudio[] = [];
  private currentItemAudio?: ItemAudio;
  /** Barge-in cuts (ms heard) of items whose transcript has not come yet. */
  private readonly cutsBeforeTranscript = new Map<string, number>();
  private reportedOverflowBytes = 0;
  private readonly maxBufferedBytes: number;

  constructor(
    private readonly options: ResilienceOptions,
    private readonly hooks: ResilienceHooks,
    private readonly listener: RealtimeSessionListener,
    private readonly logger: Logger,
  ) {
    this.preReadyBuffer = new PreReadyBuffer(options.preReadyBufferMs * 8);
    this.maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
  }

  get isReady(): boolean {
    return this.inner !== undefined && this.inner.isReady;
  }

  configure(config: RealtimeSessionConfig, fallbacks?: RealtimeSessionFallbacks): void {
    this.config = config;
    this.fallbacks = fallbacks;
    this.inner?.configure(config, fallbacks);
  }

  connect(): void {
    if (this.connected) return;
    this.connected = true;
    this.startAttempt();
  }

  /**
   * Hot path: one check, then straight to the socket. The pre-ready buffer lives here (not in the raw
   * session) so an abandoned try loses nothing. A socket OpenAI has stopped reading (its unsent bytes
   * past the cap) would hold the caller in silence while memory grows: the caller goes to the fallback.
   */
  appendAudio(base64Audio: string): void {
    const inner = this.inner;
    if (inner !== undefined && inner.isReady) {
      if (inner.bufferedAmount > this.maxBufferedBytes) return this.giveUp(`OpenAI stopped reading (${inner.bufferedAmount} bytes unsent)`, inner);
      inner.appendAudio(base64Audio);
    } else if (!this.closed && !this.gaveUp) this.preReadyBuffer.push(base64Audio);
  }

  /**
   * Sends to the current session once it is ready. While reconnecting, events are dropped (the fresh
   * session gets the replayed conversation instead), as are barge-in events naming a dead session's items.
   */
  send(event: RealtimeClientEvent): void {
    // Before any filter: a cut naming a dead session's item (its audio was still playing) is still
    // the truth about what the caller heard, and the replay needs it.
    if (event.type === 'conversation.item.truncate') this.noteHeard(event.item_id, event.audio_end_ms);
    else if (event.type === 'conversation.item.delete') this.noteHeard(event.item_id, 0);
    const inner = this.inner;
    if (!inner || !inner.isReady) return;
    if ((event.type === 'conversation.item.truncate' || event.type === 'conversation.item.delete') && !this.liveItems.has(event.item_id)) return;
    if (event.type === 'response.cancel' && event.response_id && !this.liveResponses.has(event.response_id)) return;
    inner.send(event);
  }

  close(code = 1000, reason = 'call ended'): void {
    if (this.closed) return;
    this.closed = true;
    this.clearTimers();
    this.preReadyBuffer.drain();
    const inner = this.inner;
    if (inner && !inner.isClosed) {
      inner.close(code, reason);
      return;
    }
    this.inner = undefined;
    this.listener.onSessionClosed({ code, reason, initiatedLocally: true });
  }

  // ---- one raw session ---------------------------------------------------------------------

  private startAttempt(): void {
    this.retryTimer = undefined;
    if (this.closed || this.gaveUp) return;
    this.attempt++;
    this.liveItems = new Set();
    this.liveResponses = new Set();
    this.lastDeltaItemId = undefined;
    let inner!: RealtimeSession;
    inner = this.hooks.open({
      onSessionReady: () => this.handleReady(inner),
      onSessionOpened: () => {
        if (inner === this.inner) this.listener.onSessionOpened?.();
      },
      onServerEvent: (event) => this.handleEvent(inner, event),
      onSessionDegraded: (feature, config, error) => {
        if (inner !== this.inner) return;
        this.config = config;
        this.listener.onSessionDegraded?.(feature, config, error);
      },
      onSessionClosed: (info) => this.handleClosed(inner, info),
    });
    this.inner = inner;
    if (this.config) inner.configure(this.config, this.fallbacks);
    this.connectTimer = setTimeout(() => this.handleConnectTimeout(inner), this.options.connectTimeoutMs);
    inner.connect();
  }

  private handleConnectTimeout(inner: RealtimeSession): void {
    this.connectTimer = undefined;
    if (inner !== this.inner) return;
    this.abandon(inner, `no configured OpenAI session within ${this.options.connectTimeoutMs} ms`);
  }

  private handleReady(inner: RealtimeSession): void {
    if (inner !== this.inner) return;
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    this.attempt = 0;
    const droppedBytes = this.preReadyBuffer.overflowBytes - this.reportedOverflowBytes;
    if (droppedBytes > 0) {
      this.reportedOverflowBytes = this.preReadyBuffer.overflowBytes;
      this.logger.warn({ droppedMs: droppedBytes / 8 }, 'OpenAI took too long; the pre-ready buffer dropped its oldest caller audio');
    }
    for (const frame of this.preReadyBuffer.drain()) inner.appendAudio(frame);
    if (!this.everReady) {
      this.everReady = true;
      this.listener.onSessionReady();
      return;
    }
    this.replayConversation(inner);
  }

  private handleEvent(inner: RealtimeSession, event: RealtimeServerEvent): void {
    if (inner !== this.inner) return;
    switch (event.type) {
      case 'response.output_audio.delta':
        if (event.item_id !== this.lastDeltaItemId) {
          this.lastDeltaItemId = event.item_id;
          this.liveItems.add(event.item_id);
          this.startItemAudio(event.item_id);
        }
        this.currentItemAudio!.bytes += base64DecodedLength(event.delta);
        break;
      case 'response.created':
        if (event.response.id) this.liveResponses.add(event.response.id);
        break;
      case 'conversation.item.input_audio_transcription.completed':
        this.remember('user', event.transcript);
        break;
      case 'response.output_audio_transcript.done':
        this.remember('assistant', event.transcript, event.item_id);
        break;
      case 'error': {
        const code = event.error?.code ?? '';
        if (code === 'session_expired') {
          this.logger.info('OpenAI session reached its maximum duration; rolling over to a fresh session');
          this.abandon(inner, 'session expired');
          return;
        }
        if (FATAL_ERROR_CODES.has(code)) {
          this.listener.onServerEvent(event);
          this.giveUp(`OpenAI error ${code}`, inner);
          return;
        }
        if (event.error?.type === 'server_error') {
          this.listener.onServerEvent(event);
          this.abandon(inner, `OpenAI server error ${code || ''}`.trim());
          return;
        }
        break;
      }
      default:
        break;
    }
    this.listener.onServerEvent(event);
  }

  private handleClosed(inner: RealtimeSession, info: RealtimeCloseInfo): void {
    if (inner !== this.inner) return;
    this.inner = undefined;
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    if (this.closed || info.initiatedLocally) {
      this.listener.onSessionClosed(info);
      return;
    }
    const why = info.error?.message ?? `closed with ${info.code}${info.reason ? ` (${info.reason})` : ''}`;
    this.scheduleRetry(why);
  }

  /** Drops a session that is no use (timed out, expired, broken) and tries again. */
  private abandon(inner: RealtimeSession, why: string): void {
    this.inner = undefined;
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    inner.close(1000, 'reconnecting');
    this.scheduleRetry(why);
  }

  private scheduleRetry(why: string): void {
    if (this.closed || this.gaveUp) return;
    if (this.attempt === 0) {
      // A working session was lost (not a failed try).
      if (this.reconnects >= this.options.maxReconnects) return this.giveUp(`OpenAI session lost (${why}) after ${this.reconnects} reconnects`);
      this.reconnects++;
      this.logger.warn({ reason: why, reconnect: this.reconnects }, 'OpenAI session lost; reconnecting');
      this.listener.onSessionReconnecting?.(this.reconnects);
      this.startAttempt();
      return;
    }
    if (this.attempt >= this.options.connectAttempts) {
      return this.giveUp(`OpenAI unavailable (${why}) after ${this.attempt} tries`);
    }
    const delayMs = (this.options.retryDelayMs ?? 250) * 2 ** (this.attempt - 1);
    this.logger.warn({ reason: why, attempt: this.attempt, retryInMs: delayMs }, 'OpenAI connect failed; retrying');
    this.retryTimer = setTimeout(() => this.startAttempt(), delayMs);
  }

  private giveUp(why: string, inner?: RealtimeSession): void {
    if (this.gaveUp || this.closed) return;
    this.gaveUp = true;
    this.clearTimers();
    this.preReadyBuffer.drain();
    this.inner = undefined;
    inner?.close(1000, 'giving up');
    this.logger.error({ reason: why }, 'OpenAI could not be recovered; handing the caller to the fallback');
    const report = () => {
      if (this.closed) return;
      this.closed = true;
      this.listener.onSessionClosed({ code: 1011, reason: why, initiatedLocally: false, error: new Error(why) });
    };
    this.hooks.giveUp(why).then(report, (error: unknown) => {
      this.logger.error({ err: { message: error instanceof Error ? error.message : String(error) } }, 'fallback failed');
      report();
    });
  }

  private clearTimers(): void {
    if (this.connectTimer) clearTimeout(this.connectTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.connectTimer = undefined;
    this.retryTimer = undefined;
  }

  // ---- the conversation so far ---------------------------------------------------------------

  private remember(role: Turn['role'], text: string | undefined, itemId?: string): void {
    if (typeof text !== 'string' || text.trim() === '') return;
    const turn: Turn = { role, text };
    if (itemId !== undefined) {
      turn.itemId = itemId;
      const audio = this.itemAudio.find((entry) => entry.itemId === itemId);
      if (audio !== undefined) turn.audioMs = audio.bytes / 8;
      turn.heardMs = this.cutsBeforeTranscript.get(itemId);
      this.cutsBeforeTranscript.delete(itemId);
    }
    this.turns.push(turn);
    this.turnChars += text.length;
    const maxTurns = this.options.maxReplayTurns ?? 40;
    const maxChars = this.options.maxReplayChars ?? 12_000;
    while (this.turns.length > 1 && (this.turns.length > maxTurns || this.turnChars > maxChars)) {
      this.turnChars -= this.turns.shift()!.text.length;
    }
  }

  private startItemAudio(itemId: string): void {
    const audio: ItemAudio = { itemId, bytes: 0 };
    this.itemAudio.push(audio);
    if (this.itemAudio.length > PENDING_ITEMS_KEPT) this.itemAudio.shift();
    this.currentItemAudio = audio;
  }

  /** The call cut an assistant item at what the caller heard (barge-in). */
  private noteHeard(itemId: string, heardMs: number): void {
    for (let i = this.turns.length - 1; i >= 0; i--) {
      if (this.turns[i].itemId === itemId) {
        this.turns[i].heardMs = heardMs;
        return;
      }
    }
    // The common case at a barge-in: the transcript comes after the cut (see remember).
    this.cutsBeforeTranscript.set(itemId, heardMs);
    if (this.cutsBeforeTranscript.size > PENDING_ITEMS_KEPT) this.cutsBeforeTranscript.delete(this.cutsBeforeTranscript.keys().next().value!);
  }

  /**
   * What the caller heard of a turn: all of it, or for an interrupted answer its transcript cut at
   * a word in proportion to the audio heard (empty: nothing heard, the turn is left out).
   */
  private heardText(turn: Turn): string {
    if (turn.heardMs === undefined || turn.audioMs === undefined || turn.audioMs <= 0) return turn.text;
    return cutAtWord(turn.text, turn.heardMs / turn.audioMs);
  }

  /**
   * A fresh session knows nothing: give it the conversation as the caller heard it (an
   * interrupted answer only up to where it was cut, never whole), then let the assistant pick up
   * if it owed an answer.
   */
  private replayConversation(inner: RealtimeSession): void {
    let replayed = 0;
    let lastRole: Turn['role'] | undefined;
    for (const turn of this.turns) {
      const text = turn.role === 'assistant' ? this.heardText(turn) : turn.text;
      if (text === '') continue;
      const item: RealtimeConversationItem =
        turn.role === 'user'
          ? { type: 'message', role: 'user', content: [{ type: 'input_text', text }] }
          : { type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] };
      inner.send({ type: 'conversation.item.create', item });
      replayed++;
      lastRole = turn.role;
    }
    const owesAnswer = lastRole !== 'assistant';
    this.logger.info({ replayedTurns: replayed, reconnect: this.reconnects }, 'OpenAI session recovered');
    if (owesAnswer) inner.send({ type: 'response.create' });
  }
}
