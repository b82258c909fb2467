import type { Socket } from 'node:net';
import WebSocket, { RawData } from 'ws';
import { markFrameInfix, matchMarkFrame, matchMediaFrame, mediaFrameSuffix, mediaFrameTimestamp } from './media-frame-fast-path';
import type { StartVerdict } from '../stream-auth/stream-start-verifier.service';
import { MediaStreamStart, ReceivedStart, TwilioInboundFrame } from './twilio-frames';

/** Kinds of bad input a stream can receive; each is reported, dropped, and never thrown. */
export type MediaStreamViolation =
  | 'binary-frame'
  | 'malformed-json'
  | 'unknown-event'
  | 'missing-field'
  | 'media-before-start'
  | 'duplicate-start'
  | 'wrong-stream-sid'
  | 'bad-base64'
  | 'bad-dtmf'
  | 'start-timeout'
  | 'start-refused';

/** Standard base64 as Twilio sends it; checked on every media frame, so kept to one anchored regex. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** A keypad press is one of the sixteen DTMF symbols; anything else is not a key. */
const DTMF_DIGIT = /^[0-9*#A-D]$/;
/** Frames that arrive while a `start` is being verified are held (up to about 5 s of media), then handled in order. */
const MAX_HELD_FRAMES = 250;
/** A socket with more unsent bytes than this is not being read (about 100 s of audio): the stream ends. */
export const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024;

export interface TwilioMediaStreamOptions {
  /** Closes (1008) a socket that has not sent a valid `start` within this time. */
  startTimeoutMs?: number;
  /**
   * Admission at a `start` that `verifyStart` accepted, before the listener hears of it: false
   * refuses the stream (the listener never sees its start or media; the caller of this option ends
   * it). Synchronous. A `start` whose token was refused never reaches it.
   */
  admitStart?: (start: MediaStreamStart) => boolean;
  /**
   * A listener threw while handling a frame (a bug). The stream reports it here and closes (1011)
   * instead of letting the throw escape the socket listener and take the whole process down.
   */
  onListenerError?: (error: unknown) => void;
  /**
   * Decides whether the stream's `start` may become a call (its stream token). Until it answers,
   * the stream has not started; a refusal closes the socket (1008). Without it every `start` is
   * taken as a Twilio call's.
   */
  verifyStart?: (start: ReceivedStart) => StartVerdict | Promise<StartVerdict>;
  /** More unsent bytes than this on the socket (the peer stopped reading) end the stream (default 1 MiB). */
  maxBufferedBytes?: number;
}

/** What a media stream reports to the call that owns it. Implementations must not throw. */
export interface MediaStreamListener {
  onStreamStart(start: MediaStreamStart): void;
  /**
   * Base64 µ-law payload exactly as Twilio sent it, and its `media.timestamp` (ms since the stream
   * started; NaN when the frame carries none).
   */
  onCallerAudio(base64Payload: string, timestampMs: number): void;
  onMarkPlayed(name: string): void;
  onDtmf(digit: string): void;
  onStreamStop(): void;
  onStreamClosed(code: number): void;
  /** The peer stopped reading: `bufferedBytes` wait unsent. The socket is being torn down. */
  onStreamStalled?(bufferedBytes: number): void;
  onViolation(kind: MediaStreamViolation, detail: string): void;
}

/**
 * One Twilio Media Stream WebSocket: parses what Twilio sends into listener calls and writes
 * media, marks and clears back. Outbound messages are built by string concatenation (payloads are
 * base64 and stream SIDs are validated, so nothing needs escaping), keeping the audio path lean.
 */
export class TwilioMediaStream {
  private listener?: MediaStreamListener;
  private streamSid?: string;
  private mediaPrefix = '';
  private markPrefix = '';
  private clearMessage = '';
  private startTimer?: NodeJS.Timeout;
  private terminateTimer?: NodeJS.Timeout;
  private mediaSuffix = '';
  private markInfix = '';
  private tcp?: Socket | null;
  private writesCorked = false;
  private closeTimer?: NodeJS.Timeout;
  private readonly maxBufferedBytes: number;
  private stalled = false;
  /** Set while `start` is being verified; frames meanwhile wait here. */
  private held?: Array<[RawData, boolean]>;
  private releaseClaim?: () => void;
  /** The `start`'s token was refused: another `start` on this socket is ignored (the socket is closing). */
  private startRefused = false;
  /** Admission refused the stream (it is being redirected to the refusal): whatever it sends next is ignored. */
  private refused = false;
  private readonly uncork = () => {
    this.writesCorked = false;
    this.tcp?.uncork();
  };

  constructor(private readonly socket: WebSocket, private readonly options: TwilioMediaStreamOptions = {}) {
    this.maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
    socket.on('message', (data: RawData, isBinary: boolean) => {
      try {
        this.handleMessage(data, isBinary);
      } catch (error) {
        options.onListenerError?.(error);
        this.close(1011, 'internal error');
      }
    });
    socket.once('close', (code: number) => {
      this.cancelStartTimer();
      if (this.terminateTimer) clearTimeout(this.terminateTimer);
      if (this.closeTimer) clearTimeout(this.closeTimer);
      this.held = undefined;
      this.releaseClaim?.();
      this.listener?.onStreamClosed(code);
    });
    if (options.startTimeoutMs) {
      this.startTimer = setTimeout(() => this.handleStartTimeout(options.startTimeoutMs!), options.startTimeoutMs);
    }
    // Errors are followed by 'close'; without a listener ws would throw them.
    socket.on('error', () => undefined);
  }

  /** Must be set synchronously on connection, before Twilio's first frame can be processed. */
  setListener(listener: MediaStreamListener): void {
    this.listener = listener;
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  get started(): boolean {
    return this.streamSid !== undefined;
  }

  sendAudio(base64Payload: string): void {
    if (!this.isOpen || !this.streamSid) return;
    if (this.socket.bufferedAmount > this.maxBufferedBytes) return this.handleStall();
    this.write(this.mediaPrefix + base64Payload + '"}}');
  }

  sendMark(name: string): void {
    if (this.isOpen && this.streamSid) this.write(this.markPrefix + name + '"}}');
  }

  sendClear(): void {
    if (this.isOpen && this.streamSid) this.write(this.clearMessage);
  }

  close(code = 1000, reason = ''): void {
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) {
      this.socket.close(code, reason.slice(0, 120));
    }
  }

  terminate(): void {
    this.socket.terminate();
  }

  /** Closes the stream after `delayMs` unless the peer closed it first (e.g. once Twilio acted on a redirect). */
  closeAfter(delayMs: number, code: number, reason: string): void {
    if (this.closeTimer) clearTimeout(this.closeTimer);
    this.closeTimer = setTimeout(() => this.close(code, reason), delayMs);
  }

  private handleStartTimeout(timeoutMs: number): void {
    this.startTimer = undefined;
    this.listener?.onViolation('start-timeout', `no start frame within ${timeoutMs} ms`);
    this.close(1008, 'no start frame');
    // A peer that ignores the close handshake must not keep the socket.
    this.terminateTimer = setTimeout(() => this.terminate(), 2000);
  }

  /** The peer does not read what we send: a close handshake would never complete, so the socket is dropped. */
  private handleStall(): void {
    if (this.stalled) return;
    this.stalled = true;
    const buffered = this.socket.bufferedAmount;
    this.listener?.onStreamStalled?.(buffered);
    this.terminate();
  }

  private cancelStartTimer(): void {
    if (this.startTimer) clearTimeout(this.startTimer);
    this.startTimer = undefined;
  }

  /**
   * Messages sent in the same tick (audio and the mark after it) leave in one write: the TCP
   * socket is corked until the tick ends, saving a system call per message, which is most of the
   * CPU a relay spends.
   */
  private write(message: string): void {
    if (!this.writesCorked) {
      // ws keeps the TCP socket in `_socket`; without it (never in practice) messages go out one by one.
      const tcp = (this.tcp ??= (this.socket as unknown as { _socket?: Socket | null })._socket);
      if (tcp) {
        this.writesCorked = true;
        tcp.cork();
        process.nextTick(this.uncork);
      }
    }
    this.socket.send(message);
  }

  private handleMessage(data: RawData, isBinary: boolean): void {
    const listener = this.listener;
    if (!listener || this.refused) return;
    if (this.held) {
      if (this.held.length < MAX_HELD_FRAMES) this.held.push([data, isBinary]);
      return;
    }
    if (isBinary) return listener.onViolation('binary-frame', 'Twilio sends JSON text frames only');
    const text = data.toString();
    if (this.streamSid !== undefined) {
      const payload = matchMediaFrame(text, this.mediaSuffix);
      if (payload !== undefined) {
        const payloadStart = text.length - this.mediaSuffix.length - payload.length;
        return listener.onCallerAudio(payload, mediaFrameTimestamp(text, payloadStart));
      }
      const markName = matchMarkFrame(text, this.markInfix);
      if (markName !== undefined) return listener.onMarkPlayed(markName);
    }
    let frame: TwilioInboundFrame;
    try {
      frame = JSON.parse(text);
    } catch {
      return listener.onViolation('malformed-json', 'frame is not valid JSON');
    }
    if (frame === null || typeof frame !== 'object') return listener.onViolation('malformed-json', 'frame is not a JSON object');
    switch (frame.event) {
      case 'media': {
        const payload = frame.media?.payload;
        if (typeof payload !== 'string') return listener.onViolation('missing-field', 'media frame without media.payload');
        if (!this.streamSid) return listener.onViolation('media-before-start', 'media frame before start');
        if (frame.streamSid !== this.streamSid) return listener.onViolation('wrong-stream-sid', 'media frame for another stream');
        if (payload.length === 0 || !BASE64.test(payload)) return listener.onViolation('bad-base64', 'media payload is not valid base64');
        const timestamp = frame.media.timestamp;
        return listener.onCallerAudio(payload, typeof timestamp === 'string' && /^\d{1,15}$/.test(timestamp) ? Number(timestamp) : Number.NaN);
      }
      case 'mark': {
        const name = frame.mark?.name;
        if (typeof name !== 'string') return listener.onViolation('missing-field', 'mark frame without mark.name');
        if (frame.streamSid !== this.streamSid) return listener.onViolation('wrong-stream-sid', 'mark frame for another stream');
        return listener.onMarkPlayed(name);
      }
      case 'start':
        return this.handleStart(frame, listener);
      case 'dtmf': {
        const digit = frame.dtmf?.digit;
        if (typeof digit !== 'string') return listener.onViolation('missing-field', 'dtmf frame without dtmf.digit');
        if (frame.streamSid !== this.streamSid) return listener.onViolation('wrong-stream-sid', 'dtmf frame for another stream');
        if (digit.length !== 1 || !DTMF_DIGIT.test(digit)) return listener.onViolation('bad-dtmf', 'dtmf digit is not one of 0-9 * # A-D');
        return listener.onDtmf(digit);
      }
      case 'stop':
        if (this.streamSid && frame.streamSid !== this.streamSid) return listener.onViolation('wrong-stream-sid', 'stop frame for another stream');
        return listener.onStreamStop();
      case 'connected':
        return;
      default:
        return listener.onViolation('unknown-event', `unknown event ${JSON.stringify(String((frame as { event?: unknown }).event)).slice(0, 40)}`);
    }
  }

  private handleStart(frame: Extract<TwilioInboundFrame, { event: 'start' }>, listener: MediaStreamListener): void {
    if (this.streamSid) return listener.onViolation('duplicate-start', 'a second start frame');
    if (this.startRefused) return;
    const start = frame.start;
    const streamSid = start?.streamSid ?? frame.streamSid;
    if (typeof streamSid !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(streamSid) || typeof start?.callSid !== 'string') {
      return listener.onViolation('missing-field', 'start frame without a valid streamSid and callSid');
    }
    const received: ReceivedStart = {
      streamSid,
      callSid: start.callSid,
      accountSid: typeof start.accountSid === 'string' ? start.accountSid : '',
      customParameters: isStringRecord(start.customParameters) ? start.customParameters : {},
      mediaFormat: start.mediaFormat ?? { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
    };
    const verify = this.options.verifyStart;
    if (!verify) return this.admit({ ...received, origin: 'twilio' }, listener, []);
    const verdict = verify(received);
    if (!(verdict instanceof Promise)) return this.settle(verdict, listener);
    this.held = [];
    verdict.then(
      (settled) => this.settle(settled, listener),
      () => this.settle({ accepted: false, reason: 'claim-failed' }, listener),
    );
  }

  /** The token's verdict: a refused `start` closes the socket (1008) and never reaches admission. */
  private settle(verdict: StartVerdict, listener: MediaStreamListener): void {
    const held = this.held ?? [];
    this.held = undefined;
    if (!this.isOpen) {
      if (verdict.accepted) verdict.release();
      return;
    }
    if (!verdict.accepted) {
      this.startRefused = true;
      listener.onViolation('start-refused', `stream token refused (${verdict.reason})`);
      this.cancelStartTimer();
      this.close(1008, 'stream token refused');
      this.terminateTimer = setTimeout(() => this.terminate(), 2000);
      return;
    }
    // Held until the socket closes, whether the call runs or admission refuses it.
    this.releaseClaim = verdict.release;
    try {
      this.admit(verdict.start, listener, held);
    } catch (error) {
      this.options.onListenerError?.(error);
      this.close(1011, 'internal error');
    }
  }

  /** Admission of a verified `start`; then the call begins and hears the frames held meanwhile. */
  private admit(start: MediaStreamStart, listener: MediaStreamListener, held: Array<[RawData, boolean]>): void {
    this.cancelStartTimer();
    if (this.options.admitStart && !this.options.admitStart(start)) {
      this.refused = true;
      return;
    }
    this.begin(start, listener);
    for (const [data, isBinary] of held) this.handleMessage(data, isBinary);
  }

  private begin(start: MediaStreamStart, listener: MediaStreamListener): void {
    const streamSid = start.streamSid;
    this.streamSid = streamSid;
    this.mediaPrefix = '{"event":"media","streamSid":"' + streamSid + '","media":{"payload":"';
    this.markPrefix = '{"event":"mark","streamSid":"' + streamSid + '","mark":{"name":"';
    this.clearMessage = '{"event":"clear","streamSid":"' + streamSid + '"}';
    this.mediaSuffix = mediaFrameSuffix(streamSid);
    this.markInfix = markFrameInfix(streamSid);
    listener.onStreamStart(start);
  }
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return typeof value === 'object' && value !== null && Object.values(value).every((v) => typeof v === 'string');
}
