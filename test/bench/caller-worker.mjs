// Lean fake Twilio callers for the load benchmark (test/bench), run in a worker thread so the load
// generator never shares the server's event loop. Not product code. Each call first fetches its
// TwiML from the voice webhook (for its stream token, as Twilio does), then sends `connected`,
// `start` (with the TwiML's parameters), then a stamped 20 ms µ-law media frame every 20 ms in Twilio's exact shape; it "plays"
// the audio it receives in real time and echoes each mark once the audio before it has played
// (and at once after a `clear`), like Twilio. It measures the OpenAI -> caller leg from the stamps,
// and counts the messages each way inside the measuring window (by the time it sends or receives them).
import { parentPort, workerData } from 'node:worker_threads';
import WebSocket from 'ws';
import { base64Bytes, newHistogram, nowUs, readStamp, record, writeStamp } from './shared.mjs';

const { url, firstCall, callCount, rampMs, frameMs } = workerData;
const MEDIA_PREFIX = '{"event":"media"';
const PAYLOAD_KEY = '"payload":"';
/** The account in the webhook's form and in `start`: the stream token is bound to both. */
const ACCOUNT_SID = 'AC' + '0'.repeat(32);

let window = { start: Infinity, end: -Infinity };
const outbound = newHistogram(); // fake OpenAI -> caller, deltas stamped inside the window
const totals = {
  connected: 0,
  failed: 0,
  closedEarly: 0,
  violations: 0,
  // In the window:
  framesSentInWindow: 0,
  marksEchoed: 0,
  mediaReceived: 0,
  marksReceived: 0,
  clearsReceived: 0,
};
const inWindow = (us) => us >= window.start && us < window.end;
const calls = [];

class BenchCall {
  constructor(callNo) {
    this.callNo = callNo;
    this.streamSid = 'MZbench' + String(callNo).padStart(26, '0');
    this.seq = 0;
    this.sequenceNumber = 0;
    this.frame = Buffer.alloc(160, 0xff);
    this.playedUntilUs = 0;
    this.marks = []; // [dueUs, name]
    this.hungUp = false;
    this.callSid = 'CAbench' + String(callNo).padStart(26, '0');
    this.parameters = { From: '+15550000000', To: '+15551111111', CallSid: this.callSid };
    void this.answer().then(() => this.open());
  }

  /** The webhook step: its TwiML's <Parameter>s (the stream token among them) go into `start`. */
  async answer() {
    try {
      const webhook = url.replace(/^ws/, 'http').replace(/\/media-stream$/, '/incoming-call');
      const response = await fetch(webhook, { method: 'POST', body: new URLSearchParams({ CallSid: this.callSid, AccountSid: ACCOUNT_SID, From: '+15550000000', To: '+15551111111' }) });
      const twiml = response.ok ? await response.text() : '';
      for (const [, name, value] of twiml.matchAll(/<Parameter name="([^"]+)" value="([^"]+)"\/>/g)) this.parameters[name] = value;
    } catch {
      // The bare relay has no webhook; it needs no token.
    }
  }

  open() {
    this.socket = new WebSocket(url, { perMessageDeflate: false });
    this.socket.on('open', () => this.onOpen());
    this.socket.on('message', (data) => this.onMessage(data.toString()));
    this.socket.on('error', () => undefined);
    this.socket.on('close', () => {
      clearInterval(this.timer);
      if (!this.opened) totals.failed++;
      else if (!this.hungUp) totals.closedEarly++;
    });
  }

  onOpen() {
    this.opened = true;
    totals.connected++;
    const sid = this.streamSid;
    const callSid = this.callSid;
    this.socket.send('{"event":"connected","protocol":"Call","version":"1.0.0"}');
    this.socket.send(
      JSON.stringify({
        event: 'start',
        sequenceNumber: String(++this.sequenceNumber),
        start: {
          accountSid: ACCOUNT_SID,
          streamSid: sid,
          callSid,
          tracks: ['inbound'],
          customParameters: this.parameters,
          mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
        },
        streamSid: sid,
      }),
    );
    this.timer = setInterval(() => this.tick(), frameMs);
  }

  tick() {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    const sentUs = nowUs();
    const seq = ++this.seq;
    writeStamp(this.frame, sentUs, this.callNo, seq);
    if (inWindow(sentUs)) totals.framesSentInWindow++;
    const n = String(++this.sequenceNumber);
    this.socket.send(
      '{"event":"media","sequenceNumber":"' + n + '","media":{"track":"inbound","chunk":"' + seq + '","timestamp":"' + seq * frameMs +
        '","payload":"' + this.frame.toString('base64') + '"},"streamSid":"' + this.streamSid + '"}',
    );
    this.echoPlayedMarks(sentUs);
  }

  echoPlayedMarks(now) {
    const marks = this.marks;
    while (marks.length > 0 && marks[0][0] <= now) this.echoMark(marks.shift()[1]);
  }

  echoMark(name) {
    const now = nowUs();
    if (inWindow(now)) totals.marksEchoed++;
    this.socket.send('{"event":"mark","sequenceNumber":"' + ++this.sequenceNumber + '","streamSid":"' + this.streamSid + '","mark":{"name":' + JSON.stringify(name) + '}}');
  }

  onMessage(text) {
    const now = nowUs();
    if (text.startsWith(MEDIA_PREFIX)) {
      if (inWindow(now)) totals.mediaReceived++;
      const start = text.indexOf(PAYLOAD_KEY) + PAYLOAD_KEY.length;
      const end = text.indexOf('"', start);
      const stamp = readStamp(text, start);
      if (stamp && stamp.sentUs >= window.start && stamp.sentUs < window.end) record(outbound, now - stamp.sentUs);
      // µ-law 8 kHz: 8 bytes a millisecond.
      this.playedUntilUs = Math.max(now, this.playedUntilUs) + base64Bytes(text, start, end) * 125;
      return;
    }
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      totals.violations++;
      return;
    }
    if (frame.event === 'mark') {
      if (inWindow(now)) totals.marksReceived++;
      this.marks.push([this.playedUntilUs, frame.mark.name]);
      this.echoPlayedMarks(now);
    } else if (frame.event === 'clear') {
      if (inWindow(now)) totals.clearsReceived++;
      for (const [, name] of this.marks.splice(0)) this.echoMark(name);
      this.playedUntilUs = now;
    } else {
      totals.violations++;
    }
  }

  hangUp() {
    this.hungUp = true;
    clearInterval(this.timer);
    if (!this.socket) return;
    if (this.socket.readyState === WebSocket.OPEN) {
      this.socket.send('{"event":"stop","sequenceNumber":"' + ++this.sequenceNumber + '","streamSid":"' + this.streamSid + '","stop":{"accountSid":"AC","callSid":"CA"}}');
      this.socket.close(1000);
    } else {
      this.socket.terminate();
    }
  }
}

for (let i = 0; i < callCount; i++) {
  setTimeout(() => calls.push(new BenchCall(firstCall + i)), (rampMs * i) / callCount);
}

parentPort.on('message', (message) => {
  if (message.type === 'window') window = { start: message.start, end: message.end };
  if (message.type === 'status') parentPort.postMessage({ type: 'status', ...totals, started: calls.length });
  if (message.type === 'report') parentPort.postMessage({ type: 'report', outbound, totals: { ...totals } });
  if (message.type === 'hangup') {
    for (const call of calls) call.hangUp();
    setTimeout(() => process.exit(0), 2000).unref();
  }
});
