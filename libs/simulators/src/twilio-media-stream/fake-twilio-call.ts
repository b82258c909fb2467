import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import WebSocket, { RawData } from 'ws';
import { MULAW_BYTES_PER_MS, MULAW_SILENCE } from '../audio/mulaw';
import { parseConnectTwiml, postTwilioWebhook } from '../twilio-webhook/twilio-webhook';
import type { TwilioWebhookRequest } from '../twilio-webhook/twilio-webhook';

export interface FakeTwilioCallOptions {
  /** The gateway's media-stream URL, e.g. ws://127.0.0.1:5050/media-stream */
  url: string;
  callSid?: string;
  streamSid?: string;
  accountSid?: string;
  /**
   * `<Parameter>`s delivered in `start.customParameters`. With `webhook`, the TwiML's parameters are
   * sent instead (as Twilio does), and `From` / `To` here go into the webhook's form.
   */
  customParameters?: Record<string, string>;
  /**
   * Twilio's first step: before opening the stream, fetch the call's TwiML from the voice webhook
   * (a POST, signed when `authToken` is given) and send its `<Stream>`'s `<Parameter>`s (the stream
   * token among them) in `start`. The form defaults to this call's CallSid, AccountSid, From and To.
   */
  webhook?: Omit<TwilioWebhookRequest, 'form'> & { form?: Record<string, string> };
  /** Extra handshake headers (e.g. `x-twilio-signature`). */
  headers?: Record<string, string>;
  /** Milliseconds per caller frame (Twilio sends 20 ms). */
  frameMs?: number;
  /**
   * Each mark echo travels back this much later than its audio finished playing, at random in
   * [min, max] ms (a distant or congested network); echoes stay in order. Default: at once.
   */
  markEchoDelayMs?: [number, number];
}

interface PendingMark {
  name: string;
  /** When the audio before it finishes playing (performance.now()). */
  playsAt: number;
  timer?: NodeJS.Timeout;
}

/** What the caller had heard when a `clear` arrived. */
export interface ClearRecord {
  /** Date.now() when it arrived. */
  at: number;
  /** Assistant audio heard in the whole call by then, in bytes of µ-law (8 per ms). */
  heardBytes: number;
}

export interface ReceivedMark {
  name: string;
  /** True when echoed because of a `clear` rather than because its audio finished playing. */
  cleared: boolean;
  /** When it was echoed (Date.now()). */
  at: number;
}

const sid = (prefix: string) => prefix + randomBytes(16).toString('hex');

/**
 * Plays Twilio's side of a bidirectional Media Stream against the gateway: optionally the voice
 * webhook first (whose TwiML's parameters `start` then carries), then `connected`, `start`,
 * a 20 ms µ-law frame every 20 ms (silence unless the caller "speaks"), DTMF and `stop`. Assistant
 * audio is "played" in real time at 8 bytes per ms; each mark is echoed when the audio sent before
 * it has finished playing (or later, see `markEchoDelayMs`), and every pending mark is echoed at
 * once on `clear`, as Twilio does. It knows what its caller heard (`heardBytes`, `clears`), so tests
 * can hold the gateway's truncation against it. Media can stop (`pauseMedia`) or its timestamps
 * jump (`jumpTimestamps`), as Twilio's do when audio is lost upstream.
 */
export class FakeTwilioCall extends EventEmitter {
  readonly callSid: string;
  readonly streamSid: string;
  readonly accountSid: string;
  /** Every non-media message the gateway sent, in order. */
  readonly messages: Array<Record<string, any>> = [];
  /** Marks echoed back to the gateway, in order. */
  readonly echoedMarks: ReceivedMark[] = [];
  clearCount = 0;
  /** Every `clear`, with what had been heard when it arrived. */
  readonly clears: ClearRecord[] = [];
  /** Frames never sent because media was paused (see pauseMedia). */
  framesLost = 0;
  /** Messages the gateway sent with a wrong streamSid (Twilio would raise 31951). */
  wrongStreamSidCount = 0;
  closeCode?: number;
  /** Set when the handshake was refused, e.g. HTTP 403. */
  rejectedStatus?: number;
  /** What the voice webhook answered (with `webhook`). */
  twiml?: string;
  /** The parameters `start` carries: the TwiML's with `webhook`, else `customParameters`. */
  streamParameters: Record<string, string>;

  private socket?: WebSocket;
  private readonly frameMs: number;
  private readonly receivedChunks: Buffer[] = [];
  private sequence = 0;
  private chunk = 0;
  private streamStartedAt = 0;
  /** Frames due so far (sent, or lost while media was paused): what the timestamps count. */
  private frameIndex = 0;
  private timestampOffsetMs = 0;
  private mediaPausedUntil = 0;
  private frameTimer?: NodeJS.Timeout;
  private speech: Buffer = Buffer.alloc(0);
  private speechOffset = 0;
  /** When the audio received so far finishes playing (performance.now()). */
  private playbackEndsAt = 0;
  private receivedBytes = 0;
  /** Audio a clear dropped before it played. */
  private clearedBytes = 0;
  private lastEchoAt = 0;
  private readonly pendingMarks: PendingMark[] = [];
  private readonly sentFrames: Buffer[] = [];

  constructor(private readonly options: FakeTwilioCallOptions) {
    super();
    this.callSid = options.callSid ?? sid('CA');
    this.streamSid = options.streamSid ?? sid('MZ');
    this.accountSid = options.accountSid ?? sid('AC');
    this.frameMs = options.frameMs ?? 20;
    this.streamParameters = options.customParameters ?? {};
  }

  /** The media-stream URL this call connects to. */
  get url(): string {
    return this.options.url;
  }

  /** The webhook step (see `webhook`); throws when it does not answer with a `<Connect><Stream>`. */
  async fetchTwiml(): Promise<string> {
    const webhook = this.options.webhook!;
    const given = this.options.customParameters ?? {};
    const form: Record<string, string> = {
      CallSid: this.callSid,
      AccountSid: this.accountSid,
      ...(given.From !== undefined && { From: given.From }),
      ...(given.To !== undefined && { To: given.To }),
      CallStatus: 'ringing',
      Direction: 'inbound',
      ApiVersion: '2010-04-01',
      ...webhook.form,
    };
    const answer = await postTwilioWebhook({ ...webhook, form });
    this.twiml = answer.twiml;
    if (answer.status !== 200) throw new Error(`the voice webhook answered HTTP ${answer.status}: ${answer.twiml.slice(0, 200)}`);
    this.streamParameters = parseConnectTwiml(answer.twiml).parameters;
    return answer.twiml;
  }

  /** Opens the socket, sends `connected` and `start`, then streams a frame every 20 ms. */
  async connect(options: { sendStart?: boolean; stream?: boolean } = {}): Promise<void> {
    if (this.options.webhook && this.twiml === undefined) await this.fetchTwiml();
    const socket = new WebSocket(this.options.url, { headers: this.options.headers, perMessageDeflate: false });
    this.socket = socket;
    socket.on('message', (data: RawData) => this.handleMessage(data));
    socket.on('close', (code: number) => {
      this.closeCode = code;
      this.stopFrames();
      for (const mark of this.pendingMarks) clearTimeout(mark.timer);
      // Nothing plays on a closed call: waiting for playback must not hang.
      this.pendingMarks.length = 0;
      this.playbackEndsAt = 0;
      this.emit('closed', code);
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('unexpected-response', (_req, res) => {
        this.rejectedStatus = res.statusCode;
        res.resume();
        reject(new Error(`media-stream handshake refused: HTTP ${res.statusCode}`));
      });
      socket.once('error', reject);
    });
    socket.on('error', () => undefined);
    this.sendJson({ event: 'connected', protocol: 'Call', version: '1.0.0' });
    if (options.sendStart === false) return;
    this.sendStart();
    if (options.stream !== false) this.startFrames();
  }

  sendStart(): void {
    this.sendJson({
      event: 'start',
      sequenceNumber: String(++this.sequence),
      start: {
        accountSid: this.accountSid,
        streamSid: this.streamSid,
        callSid: this.callSid,
        tracks: ['inbound'],
        customParameters: this.streamParameters,
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      },
      streamSid: this.streamSid,
    });
    this.streamStartedAt = Date.now();
  }

  /** Queues caller audio; it goes out in real time, one frame per 20 ms, after what is already queued. */
  say(mulaw: Buffer): Promise<void> {
    this.speech = Buffer.concat([this.speech.subarray(this.speechOffset), mulaw]);
    this.speechOffset = 0;
    return new Promise((resolve) => {
      const check = () => {
        if (this.speechOffset >= this.speech.length) {
          this.off('frame', check);
          resolve();
        }
      };
      this.on('frame', check);
    });
  }

  sendDtmf(digit: string): void {
    this.sendJson({ event: 'dtmf', streamSid: this.streamSid, sequenceNumber: String(++this.sequence), dtmf: { track: 'inbound_track', digit } });
  }

  /** Sends any raw text or binary frame (for hostile-input tests). */
  sendRaw(data: string | Buffer): void {
    this.socket?.send(data);
  }

  /** Hang-up as Twilio does it: `stop`, then the socket closes. */
  hangUp(): void {
    this.stopFrames();
    this.sendJson({
      event: 'stop',
      sequenceNumber: String(++this.sequence),
      stop: { accountSid: this.accountSid, callSid: this.callSid },
      streamSid: this.streamSid,
    });
    this.socket?.close(1000);
  }

  /** Stops reading what the gateway sends (the TCP socket is paused), as a stuck peer would; caller frames stop too. */
  stopReading(): void {
    this.stopFrames();
    (this.socket as unknown as { _socket?: { pause(): void } } | undefined)?._socket?.pause();
  }

  /** Drops the socket without `stop` (network loss). */
  drop(): void {
    this.stopFrames();
    this.socket?.terminate();
  }

  /** All assistant audio received, byte for byte. */
  receivedAudio(): Buffer {
    return Buffer.concat(this.receivedChunks);
  }

  /** All caller audio sent, byte for byte. */
  sentAudio(): Buffer {
    return Buffer.concat(this.sentFrames);
  }

  /** Assistant audio the caller has heard so far in the call (bytes of µ-law, 8 per ms; fractional while playing). */
  heardBytes(): number {
    return this.receivedBytes - this.clearedBytes - this.unplayedBytes();
  }

  /** Assistant audio received but not yet played. */
  unplayedBytes(): number {
    return Math.max(0, this.playbackEndsAt - performance.now()) * MULAW_BYTES_PER_MS;
  }

  /**
   * Twilio stops streaming for `ms` (audio lost upstream): no frames go out meanwhile; the caller's
   * speech of that time is lost too, and the frames after it carry timestamps that jump.
   */
  pauseMedia(ms: number): void {
    this.mediaPausedUntil = Date.now() + ms;
  }

  /** The media timestamps jump ahead by `ms` from the next frame on, with no pause in the frames. */
  jumpTimestamps(ms: number): void {
    this.timestampOffsetMs += ms;
  }

  /** True while assistant audio is still "playing" on the phone. */
  get isPlaying(): boolean {
    return this.playbackEndsAt > performance.now();
  }

  get isOpen(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  waitForClose(timeoutMs = 5000): Promise<number> {
    if (this.closeCode !== undefined) return Promise.resolve(this.closeCode);
    return waitForEvent(this, 'closed', timeoutMs, 'the gateway to close the media stream') as Promise<number>;
  }

  /** Resolves once at least `bytes` of assistant audio have arrived. */
  async waitForAudio(bytes: number, timeoutMs = 5000): Promise<void> {
    await this.waitUntil(() => this.receivedAudio().length >= bytes, timeoutMs, `${bytes} bytes of assistant audio`);
  }

  /** Resolves once the assistant's audio has finished playing and every mark has been echoed. */
  async waitForPlaybackEnd(timeoutMs = 10000): Promise<void> {
    await this.waitUntil(() => !this.isPlaying && this.pendingMarks.length === 0, timeoutMs, 'playback to finish');
  }

  async waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  private startFrames(): void {
    const frameBytes = this.frameMs * MULAW_BYTES_PER_MS;
    const silence = Buffer.alloc(frameBytes, MULAW_SILENCE);
    const tick = () => {
      const now = Date.now();
      const due = Math.floor((now - this.streamStartedAt) / this.frameMs);
      while (this.frameIndex < due && this.isOpen) {
        let frame: Buffer;
        if (this.speechOffset < this.speech.length) {
          frame = Buffer.alloc(frameBytes, MULAW_SILENCE);
          this.speech.copy(frame, 0, this.speechOffset, this.speechOffset + frameBytes);
          this.speechOffset += frameBytes;
        } else {
          frame = silence;
        }
        this.frameIndex++;
        if (now >= this.mediaPausedUntil) this.sendFrame(frame);
        else this.framesLost++;
        this.emit('frame');
      }
    };
    this.frameTimer = setInterval(tick, this.frameMs / 2);
  }

  private sendFrame(frame: Buffer): void {
    this.sentFrames.push(frame);
    const timestamp = this.frameIndex * this.frameMs + this.timestampOffsetMs;
    this.sendJson({
      event: 'media',
      sequenceNumber: String(++this.sequence),
      media: { track: 'inbound', chunk: String(++this.chunk), timestamp: String(timestamp), payload: frame.toString('base64') },
      streamSid: this.streamSid,
    });
  }

  private stopFrames(): void {
    if (this.frameTimer) clearInterval(this.frameTimer);
    this.frameTimer = undefined;
  }

  private handleMessage(data: RawData): void {
    const message = JSON.parse(data.toString());
    if (message.streamSid !== this.streamSid) this.wrongStreamSidCount++;
    switch (message.event) {
      case 'media': {
        const audio = Buffer.from(message.media.payload, 'base64');
        this.receivedChunks.push(audio);
        this.receivedBytes += audio.length;
        const startsAt = Math.max(performance.now(), this.playbackEndsAt);
        this.playbackEndsAt = startsAt + audio.length / MULAW_BYTES_PER_MS;
        this.emit('media', audio);
        return;
      }
      case 'mark': {
        this.messages.push(message);
        const now = performance.now();
        const mark: PendingMark = { name: message.mark.name, playsAt: Math.max(now, this.playbackEndsAt) };
        this.pendingMarks.push(mark);
        const [min, max] = this.options.markEchoDelayMs ?? [0, 0];
        // In order: never before the echo of an earlier mark.
        const echoAt = Math.max(this.lastEchoAt, mark.playsAt + min + Math.random() * (max - min));
        this.lastEchoAt = echoAt;
        mark.timer = setTimeout(() => this.echoMark(mark, false), Math.max(0, echoAt - now));
        return;
      }
      case 'clear': {
        this.messages.push(message);
        this.clearCount++;
        const now = performance.now();
        this.clearedBytes += this.unplayedBytes();
        this.playbackEndsAt = now;
        this.lastEchoAt = now;
        this.clears.push({ at: Date.now(), heardBytes: this.heardBytes() });
        // Every pending echo comes back now; those whose audio had already played are real ones.
        for (const mark of [...this.pendingMarks]) {
          clearTimeout(mark.timer);
          this.echoMark(mark, mark.playsAt > now);
        }
        this.emit('clear');
        return;
      }
      default:
        this.messages.push(message);
    }
  }

  private echoMark(mark: PendingMark, cleared: boolean): void {
    const index = this.pendingMarks.indexOf(mark);
    if (index === -1) return;
    this.pendingMarks.splice(index, 1);
    this.echoedMarks.push({ name: mark.name, cleared, at: Date.now() });
    this.sendJson({ event: 'mark', sequenceNumber: String(++this.sequence), streamSid: this.streamSid, mark: { name: mark.name } });
  }

  private sendJson(message: Record<string, unknown>): void {
    if (this.isOpen) this.socket!.send(JSON.stringify(message));
  }
}

function waitForEvent(emitter: EventEmitter, event: string, timeoutMs: number, what: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
    emitter.once(event, (value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}
