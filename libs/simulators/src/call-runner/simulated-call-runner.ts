import WebSocket from 'ws';
import twilio from 'twilio';
import { randomBytes } from 'node:crypto';
import { TWILIO_ROUTES } from '@app/telephony';
import { MULAW_BYTES_PER_MS, mulawLevel } from '../audio/mulaw';
import { FakeTwilioCall } from '../twilio-media-stream/fake-twilio-call';
import { parseConnectTwiml } from '../twilio-webhook/twilio-webhook';

export interface SimulatedCallOptions {
  /** The gateway's public base URL, e.g. http://127.0.0.1:5050 or https://voice.example.com */
  gatewayUrl: string;
  /** What the caller says (8 kHz µ-law), spoken once per turn. */
  utterance: Buffer;
  from?: string;
  to?: string;
  /** Signs the webhook and the media-stream upgrade as Twilio does (X-Twilio-Signature). */
  authToken?: string;
  /** The Twilio account the call claims to come from (the gateway checks it against its TWILIO_ACCOUNT_SID); default: a random one. */
  accountSid?: string;
  /** For the console's transcript feed when the gateway requires an API key. */
  apiKey?: string;
  /** How many times the caller speaks (each after the assistant has finished). */
  turns?: number;
  /** Start speaking this many ms into the assistant's first audio, interrupting it (barge-in). */
  bargeInAtMs?: number;
  /** Keys to press, in ms after the stream started. */
  dtmf?: Array<{ digit: string; atMs: number }>;
  /** Give up on a step (reply, playback) after this long. */
  stepTimeoutMs?: number;
  /** How long to wait for the assistant to speak first before the caller talks anyway. */
  greetingTimeoutMs?: number;
  /** Progress lines, as they happen. */
  progress?: (line: string) => void;
}

export interface TranscriptLine {
  /** ms since the stream started */
  atMs: number;
  kind: string;
  text: string;
}

export interface SimulatedCallResult {
  callSid: string;
  streamUrl: string;
  figures: {
    /** POST /incoming-call until the TwiML arrived. */
    webhookMs: number;
    /** WebSocket handshake for the media stream. */
    streamConnectMs: number;
    /** `start` sent until the first assistant audio (the greeting). */
    firstAudioMs?: number;
    /** End of the caller's speech (its last loud frame) until the assistant's answer started arriving. */
    replyLatencyMs: number[];
    /** Caller started talking over the assistant until the gateway sent `clear`. */
    bargeInReactionMs?: number;
    /** Assistant audio received, in ms of audio. */
    assistantAudioMs: number;
    clears: number;
    marksEchoed: number;
    callMs: number;
  };
  /** Both sides' transcripts and barge-ins from the gateway's console feed (empty when unavailable). */
  transcript: TranscriptLine[];
  transcriptNote?: string;
  /** Everything the assistant sent, 8 kHz µ-law. */
  assistantAudio: Buffer;
}

const sid = (prefix: string) => prefix + randomBytes(16).toString('hex');

/**
 * Places one call against a running gateway exactly as Twilio would: the (signed) voice webhook,
 * then the (signed) Media Stream socket from the TwiML, caller audio in real time, marks echoed at
 * playback time. Transcripts come from the gateway's console feed, when it is available.
 */
export async function runSimulatedCall(options: SimulatedCallOptions): Promise<SimulatedCallResult> {
  const progress = options.progress ?? (() => undefined);
  const stepTimeoutMs = options.stepTimeoutMs ?? 20000;
  const base = options.gatewayUrl.replace(/\/+$/, '');
  const callSid = sid('CA');
  const accountSid = options.accountSid ?? sid('AC');
  const params = {
    CallSid: callSid,
    AccountSid: accountSid,
    From: options.from ?? '+15550100001',
    To: options.to ?? '+15550100002',
    CallStatus: 'ringing',
    Direction: 'inbound',
    ApiVersion: '2010-04-01',
  };

  const feed = await ConsoleFeedClient.open(base, callSid, options.apiKey, progress).catch((error: Error) => error);
  const transcriptNote = feed instanceof Error ? `no transcripts: ${feed.message}` : undefined;
  if (transcriptNote) progress(`(${transcriptNote})`);

  const webhookStarted = Date.now();
  const webhookUrl = base + TWILIO_ROUTES.incomingCall;
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (options.authToken) headers['x-twilio-signature'] = twilio.getExpectedTwilioSignature(options.authToken, webhookUrl, params);
  const response = await fetch(webhookUrl, { method: 'POST', headers, body: new URLSearchParams(params) });
  const twiml = await response.text();
  const webhookMs = Date.now() - webhookStarted;
  if (!response.ok) throw new Error(`webhook POST ${webhookUrl} answered HTTP ${response.status}`);
  const { streamUrl, parameters } = parseConnectTwiml(twiml);
  progress(`webhook answered in ${webhookMs} ms; connecting the media stream to ${streamUrl}`);

  const call = new FakeTwilioCall({
    url: streamUrl,
    callSid,
    accountSid,
    customParameters: parameters,
    headers: options.authToken ? { 'x-twilio-signature': twilio.getExpectedTwilioSignature(options.authToken, streamUrl, {}) } : undefined,
  });
  let startedAt = Date.now();
  let firstAudioAt: number | undefined;
  let lastAudioAt = 0;
  let clearAt: number | undefined;
  let awaitingReplyAfter: number | undefined;
  let hungUp = false;
  let replyAt: number | undefined;
  call.on('media', () => {
    lastAudioAt = Date.now();
    if (awaitingReplyAfter !== undefined && lastAudioAt >= awaitingReplyAfter) {
      replyAt = lastAudioAt;
      awaitingReplyAfter = undefined;
    }
    if (firstAudioAt === undefined) {
      firstAudioAt = lastAudioAt;
      progress(`assistant audio started ${firstAudioAt - startedAt} ms after start`);
    }
  });
  call.on('closed', (code: number) => {
    if (!hungUp) progress(`the gateway closed the media stream (code ${code})`);
  });
  call.on('clear', () => {
    clearAt = Date.now();
    progress('gateway cleared the playback (barge-in)');
  });

  const connectStarted = Date.now();
  try {
    await call.connect();
  } catch (error) {
    feed instanceof Error || feed.close();
    throw error;
  }
  startedAt = Date.now();
  const streamConnectMs = startedAt - connectStarted;
  progress(`media stream open in ${streamConnectMs} ms (callSid ${callSid})`);
  feed instanceof Error || feed.setStart(startedAt);
  const dtmfTimers = (options.dtmf ?? []).map(({ digit, atMs }) =>
    setTimeout(() => {
      call.sendDtmf(digit);
      progress(`pressed ${digit}`);
    }, atMs),
  );

  const replyLatencyMs: number[] = [];
  const speechEndMs = speechEndOffsetMs(options.utterance);
  let bargeInReactionMs: number | undefined;
  try {
    await call.waitUntil(() => firstAudioAt !== undefined || !call.isOpen, options.greetingTimeoutMs ?? 5000, 'the assistant to speak first').catch(() => progress('no greeting; the caller speaks first'));
    for (let turn = 0; turn < (options.turns ?? 1) && call.isOpen; turn++) {
      if (turn === 0 && options.bargeInAtMs !== undefined && firstAudioAt !== undefined) {
        await sleep(Math.max(0, firstAudioAt + options.bargeInAtMs - Date.now()));
      } else {
        await call.waitForPlaybackEnd(stepTimeoutMs * 3);
        await sleep(300);
      }
      const speakingAt = Date.now();
      const speechEndsAt = speakingAt + speechEndMs;
      replyAt = undefined;
      awaitingReplyAfter = speechEndsAt;
      const interrupting = call.isPlaying;
      progress(`caller speaks (${(options.utterance.length / MULAW_BYTES_PER_MS / 1000).toFixed(1)} s)${interrupting ? ' over the assistant' : ''}`);
      const clearsBefore = call.clearCount;
      await Promise.race([call.say(options.utterance), new Promise((resolve) => call.once('closed', resolve))]);
      if (interrupting && call.clearCount > clearsBefore && clearAt !== undefined && clearAt >= speakingAt) bargeInReactionMs ??= clearAt - speakingAt;
      await call.waitUntil(() => replyAt !== undefined || !call.isOpen, stepTimeoutMs, 'the assistant to answer');
      if (replyAt === undefined) break;
      replyLatencyMs.push(replyAt - speechEndsAt);
      progress(`assistant answered ${replyAt - speechEndsAt} ms after the caller stopped speaking`);
    }
    await call.waitForPlaybackEnd(stepTimeoutMs * 3);
    progress('assistant finished; hanging up');
  } finally {
    for (const timer of dtmfTimers) clearTimeout(timer);
    hungUp = true;
    if (call.isOpen) call.hangUp();
  }
  await call.waitForClose(5000).catch(() => call.drop());
  const callMs = Date.now() - startedAt;
  let transcript: TranscriptLine[] = [];
  if (!(feed instanceof Error)) {
    await feed.waitForEnd(3000);
    transcript = feed.lines;
    feed.close();
  }
  const assistantAudio = call.receivedAudio();
  return {
    callSid,
    streamUrl,
    figures: {
      webhookMs,
      streamConnectMs,
      firstAudioMs: firstAudioAt === undefined ? undefined : firstAudioAt - startedAt,
      replyLatencyMs,
      bargeInReactionMs,
      assistantAudioMs: assistantAudio.length / MULAW_BYTES_PER_MS,
      clears: call.clearCount,
      marksEchoed: call.echoedMarks.length,
      callMs,
    },
    transcript,
    transcriptNote,
    assistantAudio,
  };
}

/** Where the last loud 20 ms frame of an utterance ends (trailing silence is not speech). */
export function speechEndOffsetMs(mulaw: Buffer, level = 400): number {
  const frame = 20 * MULAW_BYTES_PER_MS;
  for (let end = Math.ceil(mulaw.length / frame) * frame; end > 0; end -= frame) {
    if (mulawLevel(mulaw.subarray(end - frame, end)) > level) return Math.min(end, mulaw.length) / MULAW_BYTES_PER_MS;
  }
  return mulaw.length / MULAW_BYTES_PER_MS;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Follows one call on the gateway's console feed (/console/ws) for its transcript. */
class ConsoleFeedClient {
  readonly lines: TranscriptLine[] = [];
  private startedAt = Date.now();
  private ended = false;

  private constructor(private readonly socket: WebSocket, private readonly callSid: string, private readonly progress: (line: string) => void) {
    socket.on('message', (data) => this.onMessage(data.toString()));
    socket.on('error', () => undefined);
  }

  static async open(base: string, callSid: string, apiKey: string | undefined, progress: (line: string) => void): Promise<ConsoleFeedClient> {
    const response = await fetch(`${base}/console/token`, { method: 'POST', headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {} });
    if (!response.ok) throw new Error(`console token refused (HTTP ${response.status}${response.status === 401 ? '; pass --api-key' : ''})`);
    const { token } = (await response.json()) as { token: string };
    const socket = new WebSocket(`${base.replace(/^http/, 'ws')}/console/ws?console_token=${encodeURIComponent(token)}`);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return new ConsoleFeedClient(socket, callSid, progress);
  }

  setStart(at: number): void {
    this.startedAt = at;
  }

  async waitForEnd(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended && Date.now() < deadline) await sleep(20);
  }

  close(): void {
    this.socket.close();
  }

  private onMessage(text: string): void {
    let message: any;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (message?.type !== 'entry' || message.callSid !== this.callSid) return;
    const entry = message.entry as { at: number; kind: string; text: string };
    if (entry.kind === 'ended') this.ended = true;
    if (entry.kind === 'started' || entry.kind === 'ended') return;
    const line = { atMs: entry.at - this.startedAt, kind: entry.kind, text: entry.text };
    this.lines.push(line);
    this.progress(`  ${formatTranscriptLine(line)}`);
  }
}

const SPEAKERS: Record<string, string> = { caller: 'caller   ', assistant: 'assistant', 'barge-in': 'barge-in ', dtmf: 'dtmf     ', tool: 'tool     ', error: 'error    ' };

export function formatTranscriptLine(line: TranscriptLine): string {
  return `[${(line.atMs / 1000).toFixed(1).padStart(5)} s] ${SPEAKERS[line.kind] ?? line.kind.padEnd(9)}  ${line.text}`;
}
