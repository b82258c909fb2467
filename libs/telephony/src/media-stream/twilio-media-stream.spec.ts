import { EventEmitter } from 'node:events';
import type WebSocket from 'ws';
import { beforeEach, describe, expect, it } from 'vitest';
import type { StartVerdict } from '../stream-auth/stream-start-verifier.service';
import type { MediaStreamStart, ReceivedStart } from './twilio-frames';
import { MediaStreamListener, MediaStreamViolation, TwilioMediaStream } from './twilio-media-stream';

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 3;

/** Just enough of a `ws` socket: events in, send/close/terminate recorded. */
class FakeSocket extends EventEmitter {
  readyState = OPEN;
  readonly sent: string[] = [];
  readonly closes: Array<{ code?: number; reason?: string }> = [];
  terminated = false;

  send(data: string): void {
    this.sent.push(data);
  }
  close(code?: number, reason?: string): void {
    this.closes.push({ code, reason });
  }
  terminate(): void {
    this.terminated = true;
  }

  /** Twilio sends a text frame. */
  receive(frame: unknown): void {
    const text = typeof frame === 'string' ? frame : JSON.stringify(frame);
    this.emit('message', Buffer.from(text), false);
  }
  receiveBinary(bytes: Buffer): void {
    this.emit('message', bytes, true);
  }
}

type Heard =
  | ['start', MediaStreamStart]
  | ['audio', string]
  | ['mark', string]
  | ['dtmf', string]
  | ['stop']
  | ['closed', number]
  | ['stalled']
  | ['violation', MediaStreamViolation];

class RecordingListener implements MediaStreamListener {
  readonly heard: Heard[] = [];
  readonly timestamps: number[] = [];
  onStreamStart(start: MediaStreamStart): void {
    this.heard.push(['start', start]);
  }
  onCallerAudio(payload: string, timestampMs: number): void {
    this.heard.push(['audio', payload]);
    this.timestamps.push(timestampMs);
  }
  onMarkPlayed(name: string): void {
    this.heard.push(['mark', name]);
  }
  onDtmf(digit: string): void {
    this.heard.push(['dtmf', digit]);
  }
  onStreamStop(): void {
    this.heard.push(['stop']);
  }
  onStreamClosed(code: number): void {
    this.heard.push(['closed', code]);
  }
  onViolation(kind: MediaStreamViolation): void {
    this.heard.push(['violation', kind]);
  }
  onStreamStalled(): void {
    this.heard.push(['stalled']);
  }
}

const STREAM_SID = 'MZ18ad3ab5a668481ce02b83e7395059f0';
const CALL_SID = 'CA5f3bd3d5c9a8e6e2a01ce2b4c0e0c1d2';
const ACCOUNT_SID = 'AC0123456789abcdef0123456789abcdef';

const startFrame = (overrides: Record<string, unknown> = {}) => ({
  event: 'start',
  sequenceNumber: '1',
  streamSid: STREAM_SID,
  start: {
    accountSid: ACCOUNT_SID,
    streamSid: STREAM_SID,
    callSid: CALL_SID,
    tracks: ['inbound'],
    customParameters: { From: '+15550001111', To: '+15550002222' },
    mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
    ...overrides,
  },
});
const mediaFrame = (payload: string, streamSid = STREAM_SID) => ({
  event: 'media',
  sequenceNumber: '2',
  streamSid,
  media: { track: 'inbound', chunk: '1', timestamp: '5', payload },
});
const markFrame = (name: string, streamSid = STREAM_SID) => ({ event: 'mark', sequenceNumber: '3', streamSid, mark: { name } });
const dtmfFrame = (digit: string, streamSid = STREAM_SID) => ({ event: 'dtmf', sequenceNumber: '4', streamSid, dtmf: { track: 'inbound_track', digit } });
const stopFrame = (streamSid = STREAM_SID) => ({ event: 'stop', sequenceNumber: '5', streamSid, stop: { accountSid: ACCOUNT_SID, callSid: CALL_SID } });

describe('TwilioMediaStream', () => {
  let socket: FakeSocket;
  let stream: TwilioMediaStream;
  let listener: RecordingListener;

  beforeEach(() => {
    socket = new FakeSocket();
    stream = new TwilioMediaStream(socket as unknown as WebSocket);
    listener = new RecordingListener();
    stream.setListener(listener);
  });

  const started = () => {
    socket.receive({ event: 'connected', protocol: 'Call', version: '1.0.0' });
    socket.receive(startFrame());
    listener.heard.length = 0;
  };

  it('contains a listener that throws: reports it, closes only this stream (1011), never rethrows', () => {
    const failures: unknown[] = [];
    const guarded = new FakeSocket();
    const guardedStream = new TwilioMediaStream(guarded as unknown as WebSocket, { onListenerError: (error) => failures.push(error) });
    class ThrowingListener extends RecordingListener {
      override onStreamStart(): void {
        throw new Error('bug in a listener');
      }
    }
    guardedStream.setListener(new ThrowingListener());
    expect(() => guarded.receive(startFrame())).not.toThrow();
    expect(failures).toHaveLength(1);
    expect(guarded.closes).toEqual([{ code: 1011, reason: 'internal error' }]);
  });

  describe('verifying start (the stream token)', () => {
    const verified = (start: ReceivedStart): StartVerdict => ({ accepted: true, start: { ...start, customParameters: {}, origin: 'softphone' }, release: () => undefined });

    it('reports only the verified start, and a refused one never: the socket is closed (1008)', () => {
      const accepted = new FakeSocket();
      const acceptedStream = new TwilioMediaStream(accepted as unknown as WebSocket, { verifyStart: verified });
      const heard = new RecordingListener();
      acceptedStream.setListener(heard);
      accepted.receive(startFrame());
      expect(heard.heard).toEqual([['start', expect.objectContaining({ origin: 'softphone', customParameters: {} })]]);

      const refused = new FakeSocket();
      const refusedStream = new TwilioMediaStream(refused as unknown as WebSocket, { verifyStart: () => ({ accepted: false, reason: 'already-used' }) });
      const refusedHeard = new RecordingListener();
      refusedStream.setListener(refusedHeard);
      refused.receive(startFrame());
      refused.receive(mediaFrame('//79/A=='));
      refused.receive(startFrame());
      expect(refusedHeard.heard).toEqual([['violation', 'start-refused'], ['violation', 'media-before-start']]);
      expect(refused.closes).toEqual([{ code: 1008, reason: 'stream token refused' }]);
      expect(refusedStream.started).toBe(false);
    });

    it('holds the frames that arrive while an asynchronous check runs, then handles them in order; releases the claim on close', async () => {
      let settle!: (verdict: StartVerdict) => void;
      let released = 0;
      const socket = new FakeSocket();
      const pending = new TwilioMediaStream(socket as unknown as WebSocket, { verifyStart: () => new Promise<StartVerdict>((resolve) => (settle = resolve)) });
      const heard = new RecordingListener();
      pending.setListener(heard);
      socket.receive(startFrame());
      socket.receive(mediaFrame('AAAA'));
      socket.receive(dtmfFrame('5'));
      expect(heard.heard).toEqual([]);
      settle({ accepted: true, start: { ...(startFrame().start as unknown as ReceivedStart), origin: 'twilio' }, release: () => released++ });
      await Promise.resolve();
      await Promise.resolve();
      expect(heard.heard.map(([kind]) => kind)).toEqual(['start', 'audio', 'dtmf']);
      socket.emit('close', 1000);
      socket.emit('close', 1000);
      expect(released).toBe(1);
    });
  });

  describe('inbound frames', () => {
    // Byte for byte as Twilio writes them: these take the parser's fast path.
    const twilioMedia = (payload: string, sid = STREAM_SID) =>
      `{"event":"media","sequenceNumber":"7","media":{"track":"inbound","chunk":"6","timestamp":"120","payload":"${payload}"},"streamSid":"${sid}"}`;
    const twilioMark = (name: string, sid = STREAM_SID) => `{"event":"mark","sequenceNumber":"8","streamSid":"${sid}","mark":{"name":"${name}"}}`;

    it('reports audio and marks sent in Twilio’s exact wire format', () => {
      socket.receive(startFrame());
      socket.receive(twilioMedia('//79/A=='));
      socket.receive(twilioMark('3'));
      expect(listener.heard.slice(1)).toEqual([['audio', '//79/A=='], ['mark', '3']]);
    });

    it("reports each frame's media timestamp, on the fast path and the full parse alike", () => {
      started();
      socket.receive(twilioMedia('//79/A=='));
      socket.receive(twilioMedia('AAAA').replace('"timestamp":"120"', '"timestamp":"640"'));
      socket.receive(mediaFrame('AAAA'));
      const { timestamp: _dropped, ...untimed } = mediaFrame('AAAA').media;
      socket.receive({ ...mediaFrame('AAAA'), media: untimed });
      socket.receive({ ...mediaFrame('AAAA'), media: { ...untimed, timestamp: 'soon' } });
      expect(listener.timestamps).toEqual([120, 640, 5, Number.NaN, Number.NaN]);
    });

    it('still rejects Twilio-format frames for another stream and media before start', () => {
      socket.receive(twilioMedia('//79/A=='));
      socket.receive(startFrame());
      socket.receive(twilioMedia('//79/A==', 'MZother'));
      socket.receive(twilioMark('3', 'MZother'));
      expect(listener.heard.filter(([kind]) => kind !== 'start')).toEqual([
        ['violation', 'media-before-start'],
        ['violation', 'wrong-stream-sid'],
        ['violation', 'wrong-stream-sid'],
      ]);
    });

    it('reports start with the call details', () => {
      socket.receive({ event: 'connected', protocol: 'Call', version: '1.0.0' });
      socket.receive(startFrame());

      expect(listener.heard).toEqual([
        [
          'start',
          {
            streamSid: STREAM_SID,
            callSid: CALL_SID,
            accountSid: ACCOUNT_SID,
            customParameters: { From: '+15550001111', To: '+15550002222' },
            mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
            origin: 'twilio',
          },
        ],
      ]);
      expect(stream.started).toBe(true);
    });

    it('defaults missing or non-string custom parameters to none', () => {
      socket.receive(startFrame({ customParameters: { From: 42 } }));
      expect(listener.heard[0]).toEqual(['start', expect.objectContaining({ customParameters: {} })]);
    });

    it('reports media, mark, dtmf and stop in order', () => {
      started();
      socket.receive(mediaFrame('//79/A=='));
      socket.receive(mediaFrame('AAAA'));
      socket.receive(markFrame('7'));
      socket.receive(dtmfFrame('5'));
      socket.receive(stopFrame());

      expect(listener.heard).toEqual([['audio', '//79/A=='], ['audio', 'AAAA'], ['mark', '7'], ['dtmf', '5'], ['stop']]);
    });

    it('reports the socket closing once, with its code', () => {
      started();
      socket.emit('close', 1006, Buffer.from(''));
      socket.emit('close', 1006, Buffer.from(''));
      expect(listener.heard).toEqual([['closed', 1006]]);
    });

    it('swallows socket errors instead of crashing the process', () => {
      expect(() => socket.emit('error', new Error('ECONNRESET'))).not.toThrow();
    });
  });

  describe('bad input', () => {
    const violationFor = (send: () => void): Heard[] => {
      listener.heard.length = 0;
      expect(send).not.toThrow();
      return listener.heard;
    };

    it('reports a binary frame', () => {
      started();
      expect(violationFor(() => socket.receiveBinary(Buffer.from([1, 2, 3])))).toEqual([['violation', 'binary-frame']]);
    });

    it.each(['{not json', '', 'null', '42', '"media"'])('reports malformed JSON %j', (text) => {
      started();
      expect(violationFor(() => socket.receive(text))).toEqual([['violation', 'malformed-json']]);
    });

    it('reports an unknown event', () => {
      started();
      expect(violationFor(() => socket.receive({ event: 'transcription', streamSid: STREAM_SID }))).toEqual([['violation', 'unknown-event']]);
      expect(violationFor(() => socket.receive({ streamSid: STREAM_SID }))).toEqual([['violation', 'unknown-event']]);
    });

    it('reports media before start', () => {
      expect(violationFor(() => socket.receive(mediaFrame('AAAA')))).toEqual([['violation', 'media-before-start']]);
    });

    it('reports frames for another stream', () => {
      started();
      expect(violationFor(() => socket.receive(mediaFrame('AAAA', 'MZother')))).toEqual([['violation', 'wrong-stream-sid']]);
      expect(violationFor(() => socket.receive(markFrame('1', 'MZother')))).toEqual([['violation', 'wrong-stream-sid']]);
      expect(violationFor(() => socket.receive(dtmfFrame('1', 'MZother')))).toEqual([['violation', 'wrong-stream-sid']]);
      expect(violationFor(() => socket.receive(stopFrame('MZother')))).toEqual([['violation', 'wrong-stream-sid']]);
    });

    it('accepts a keypad press only as one of 0-9 * # A-D', () => {
      started();
      for (const digit of ['0', '9', '*', '#', 'A', 'D']) expect(violationFor(() => socket.receive(dtmfFrame(digit)))).toEqual([['dtmf', digit]]);
      for (const digit of ['E', '', '12', 'x'.repeat(60_000), '\u0000', 'a']) {
        expect(violationFor(() => socket.receive(dtmfFrame(digit)))).toEqual([['violation', 'bad-dtmf']]);
      }
    });

    it('reports a second start and keeps the first stream', () => {
      started();
      expect(violationFor(() => socket.receive(startFrame({ streamSid: 'MZsecond' })))).toEqual([['violation', 'duplicate-start']]);
      stream.sendClear();
      expect(JSON.parse(socket.sent.at(-1)!)).toEqual({ event: 'clear', streamSid: STREAM_SID });
    });

    it('reports frames missing their required field', () => {
      started();
      expect(violationFor(() => socket.receive({ event: 'media', streamSid: STREAM_SID, media: {} }))).toEqual([['violation', 'missing-field']]);
      expect(violationFor(() => socket.receive({ event: 'mark', streamSid: STREAM_SID }))).toEqual([['violation', 'missing-field']]);
      expect(violationFor(() => socket.receive({ event: 'dtmf', streamSid: STREAM_SID, dtmf: {} }))).toEqual([['violation', 'missing-field']]);
    });

    it('rejects a start whose streamSid could break the outbound JSON', () => {
      const frame = startFrame({ streamSid: 'MZ"},"event":"x' });
      frame.streamSid = 'MZ"},"event":"x';
      expect(violationFor(() => socket.receive(frame))).toEqual([['violation', 'missing-field']]);
      expect(stream.started).toBe(false);
      stream.sendAudio('AAAA');
      expect(socket.sent).toEqual([]);
    });

    it('keeps working after bad input', () => {
      started();
      socket.receive('{oops');
      socket.receiveBinary(Buffer.from([0]));
      socket.receive(mediaFrame('AAAA'));
      expect(listener.heard.at(-1)).toEqual(['audio', 'AAAA']);
    });
  });

  describe('outbound messages', () => {
    it('writes audio and the mark after it to TCP together (one system call)', async () => {
      const tcp = { corked: 0, flushes: 0, cork() { this.corked++; }, uncork() { if (--this.corked === 0) this.flushes++; } };
      (socket as unknown as { _socket: typeof tcp })._socket = tcp;
      started();
      stream.sendAudio('//79/A==');
      stream.sendMark('1');
      expect(socket.sent).toHaveLength(2);
      expect(tcp.corked).toBe(1);
      await new Promise((resolve) => setImmediate(resolve));
      expect(tcp).toMatchObject({ corked: 0, flushes: 1 });
      stream.sendMark('2');
      await new Promise((resolve) => setImmediate(resolve));
      expect(tcp).toMatchObject({ corked: 0, flushes: 2 });
    });

    it('sends media in Twilio’s shape with the streamSid', () => {
      started();
      stream.sendAudio('//79/A==');
      expect(socket.sent).toHaveLength(1);
      expect(JSON.parse(socket.sent[0]!)).toEqual({ event: 'media', streamSid: STREAM_SID, media: { payload: '//79/A==' } });
    });

    it('sends a mark in Twilio’s shape with the streamSid', () => {
      started();
      stream.sendMark('42');
      expect(JSON.parse(socket.sent[0]!)).toEqual({ event: 'mark', streamSid: STREAM_SID, mark: { name: '42' } });
    });

    it('sends clear in Twilio’s shape with the streamSid', () => {
      started();
      stream.sendClear();
      expect(JSON.parse(socket.sent[0]!)).toEqual({ event: 'clear', streamSid: STREAM_SID });
    });

    it('sends nothing before start', () => {
      stream.sendAudio('AAAA');
      stream.sendMark('1');
      stream.sendClear();
      expect(socket.sent).toEqual([]);
    });

    it('drops a peer that stopped reading: past the cap of unsent bytes it reports the stall once and terminates the socket', () => {
      const stalled = new FakeSocket() as FakeSocket & { bufferedAmount: number };
      stalled.bufferedAmount = 0;
      const capped = new TwilioMediaStream(stalled as unknown as WebSocket, { maxBufferedBytes: 1000 });
      const heard = new RecordingListener();
      capped.setListener(heard);
      stalled.receive(startFrame());
      capped.sendAudio('AAAA');
      expect(stalled.sent).toHaveLength(1);
      stalled.bufferedAmount = 1001;
      capped.sendAudio('AAAA');
      capped.sendAudio('AAAA');
      expect(stalled.sent).toHaveLength(1);
      expect(heard.heard.filter(([kind]) => kind === 'stalled')).toHaveLength(1);
      expect(stalled.terminated).toBe(true);
    });

    it('sends nothing once the socket is no longer open', () => {
      started();
      socket.readyState = CLOSED;
      stream.sendAudio('AAAA');
      stream.sendMark('1');
      stream.sendClear();
      expect(socket.sent).toEqual([]);
      expect(stream.isOpen).toBe(false);
    });
  });

  describe('closing', () => {
    it('closes an open socket with the code and a bounded reason', () => {
      stream.close(1011, 'x'.repeat(200));
      expect(socket.closes).toEqual([{ code: 1011, reason: 'x'.repeat(120) }]);
    });

    it('closes a socket that is still connecting', () => {
      socket.readyState = CONNECTING;
      stream.close();
      expect(socket.closes).toEqual([{ code: 1000, reason: '' }]);
    });

    it('does not close a socket that is already closed', () => {
      socket.readyState = CLOSED;
      stream.close(1000, 'bye');
      expect(socket.closes).toEqual([]);
    });

    it('terminates the socket on demand', () => {
      stream.terminate();
      expect(socket.terminated).toBe(true);
    });
  });
});
