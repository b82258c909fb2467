import type { Socket } from 'node:net';
import WebSocket, { RawData } from 'ws';
import { markFrameInfix, matchMarkFrame, matchMediaFrame, mediaFrameSuffix, mediaFrameTimestamp } from './media-frame-fast-path';
import { MediaStreamStart, TwilioInboundFrame } from './twilio-frames';

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
  | 'start-timeout';

/** Standard base64 as Twilio sends it; checked on every media frame, so kept to one anchored regex. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export interface TwilioMediaStreamOptions {
  /** Closes (1008) a socket that has not sent a valid `start` within this time. */
  startTimeoutMs?: number;
  /**
   * Admission at a valid `start`, before the listener hears of it: false refuses the stream (the
   * listener never sees its start or media; the caller of this option ends it). Synchronous.
   */
  admitStart?: (start: MediaStreamStart) => boolean;
  /**
   * A listener threw while handling a frame (a bug). The stream reports it here and closes (1011)
   * instead of letting the throw escape the socket listener and take the whole process down.
   */
  onListenerError?: (error: unknown) => void;
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
  private refused = false;
  private closeTimer?: NodeJS.Timeout;
  private readonly admitStart?: (start: MediaStreamStart) => boolean;
  private readonly uncork = () => {
    this.writesCorked = false;
    this.tcp?.uncork();
  };

  constructor(private readonly socket: WebSocket, options: TwilioMediaStreamOptions = {}) {
    this.admitStart = options.admitStart;
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
    if (this.isOpen && this.streamSid) this.write(this.mediaPrefix + base64Payload + '"}}');
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
    const start = frame.start;
    const streamSid = start?.streamSid ?? frame.streamSid;
    if (typeof streamSid !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(streamSid) || typeof start?.callSid !== 'string') {
      return listener.onViolation('missing-field', 'start frame without a valid streamSid and callSid');
    }
    this.cancelStartTimer();
    const accepted: MediaStreamStart = {
      streamSid,
      callSid: start.callSid,
      accountSid: typeof start.accountSid === 'string' ? start.accountSid : '',
      customParameters: isStringRecord(start.customParameters) ? start.customParameters : {},
      mediaFormat: start.mediaFormat ?? { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
    };
    if (this.admitStart && !this.admitStart(accepted)) {
      this.refused = true;
      return;
    }
    this.streamSid = streamSid;
    this.mediaPrefix = '{"event":"media","streamSid":"' + streamSid + '","media":{"payload":"';
    this.markPrefix = '{"event":"mark","streamSid":"' + streamSid + '","mark":{"name":"';
    this.clearMessage = '{"event":"clear","streamSid":"' + streamSid + '"}';
    this.mediaSuffix = mediaFrameSuffix(streamSid);
    this.markInfix = markFrameInfix(streamSid);
    listener.onStreamStart(accepted);
  }
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return typeof value === 'object' && value !== null && Object.values(value).every((v) => typeof v === 'string');
}
