// The browser softphone: plays Twilio's side of a bidirectional Media Stream against the gateway.
// Microphone -> 8 kHz µ-law, 20 ms `media` frames; assistant `media` is decoded and played, each
// `mark` is echoed when the audio before it has played, and `clear` stops playback and echoes
// every pending mark, as Twilio does. The gateway mints each call (its CallSid and a stream token):
// the token opens the socket (in the URL: browsers cannot set headers) and rides in `start`, as
// Twilio's does in its <Parameter>.

const FRAME_BYTES = 160; // 20 ms at 8 kHz

const CAPTURE_WORKLET = `
class Capture extends AudioWorkletProcessor {
  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (channel) this.port.postMessage(channel.slice(0));
    return true;
  }
}
registerProcessor('softphone-capture', Capture);
`;

function encodeMulawSample(sample) {
  let s = Math.max(-32635, Math.min(32635, Math.round(sample * 32768)));
  const sign = s < 0 ? 0x80 : 0;
  if (sign) s = -s;
  s += 0x84;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

const DECODE = new Float32Array(256);
for (let i = 0; i < 256; i++) {
  const u = ~i & 0xff;
  const magnitude = ((((u & 0x0f) << 3) + 0x84) << ((u >> 4) & 0x07)) - 0x84;
  DECODE[i] = ((u & 0x80) ? -magnitude : magnitude) / 32768;
}

function toBase64(bytes) {
  let binary = '';
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
  return btoa(binary);
}

function fromBase64(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

const randomSid = (prefix) => prefix + Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');

export class Softphone {
  constructor({ getCall, onStatus, onStats }) {
    this.getCall = getCall;
    this.onStatus = onStatus;
    this.onStats = onStats;
    this.stats = { sentMs: 0, receivedMs: 0, marksEchoed: 0, clears: 0, micLevel: 0, micPeak: 0, outLevel: 0, state: 'idle', callSid: '' };
  }

  get active() {
    return this.socket !== undefined;
  }

  async start() {
    if (this.active) return;
    this.status('getting the microphone…');
    this.stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true } });
    this.context = new AudioContext();
    const module = URL.createObjectURL(new Blob([CAPTURE_WORKLET], { type: 'text/javascript' }));
    await this.context.audioWorklet.addModule(module);
    URL.revokeObjectURL(module);
    const { callSid, token } = await this.getCall();
    this.callSid = callSid;
    this.streamToken = token;
    this.streamSid = randomSid('MZ');
    this.sequence = 0;
    this.chunk = 0;
    this.pending = new Uint8Array(FRAME_BYTES);
    this.pendingLength = 0;
    this.position = 0; // fractional read position for resampling
    this.carry = [];
    this.playhead = 0;
    this.sources = new Set();
    this.marks = [];
    this.generation = 0;
    this.stats.callSid = this.callSid;
    const query = `softphone_token=${encodeURIComponent(token)}&call_sid=${encodeURIComponent(callSid)}`;
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/media-stream?${query}`;
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.onopen = () => this.onOpen();
    socket.onmessage = (event) => this.onMessage(event.data);
    socket.onclose = () => this.stop('call ended');
    socket.onerror = () => this.status('connection error');
    this.status('dialling…');
  }

  stop(reason = 'hung up') {
    const socket = this.socket;
    if (!socket) return;
    this.socket = undefined;
    if (socket.readyState === WebSocket.OPEN) {
      this.send({ event: 'stop', sequenceNumber: String(++this.sequence), streamSid: this.streamSid, stop: { accountSid: 'ACsoftphone', callSid: this.callSid } });
      socket.close(1000);
    }
    for (const mark of this.marks) clearTimeout(mark.timer);
    this.marks = [];
    this.worklet?.disconnect();
    this.stream?.getTracks().forEach((track) => track.stop());
    this.context?.close();
    this.stats.micLevel = this.stats.outLevel = 0;
    this.status(reason, 'idle');
  }

  onOpen() {
    this.send({ event: 'connected', protocol: 'Call', version: '1.0.0' });
    this.send({
      event: 'start',
      sequenceNumber: String(++this.sequence),
      streamSid: this.streamSid,
      start: {
        accountSid: 'ACsoftphone',
        streamSid: this.streamSid,
        callSid: this.callSid,
        tracks: ['inbound'],
        customParameters: { From: 'browser softphone', To: 'console', CallSid: this.callSid, StreamToken: this.streamToken },
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      },
    });
    const source = this.context.createMediaStreamSource(this.stream);
    this.worklet = new AudioWorkletNode(this.context, 'softphone-capture');
    this.worklet.port.onmessage = (event) => this.onCapture(event.data);
    source.connect(this.worklet);
    this.status('in call', 'in-call');
  }

  /** Resamples the microphone to 8 kHz (averaging each output sample's span) and sends 20 ms frames. */
  onCapture(samples) {
    if (!this.socket) return;
    const ratio = this.context.sampleRate / 8000;
    const input = this.carry.length ? Float32Array.from([...this.carry, ...samples]) : samples;
    let sumSquares = 0;
    let pos = this.position;
    while (pos + ratio <= input.length) {
      const from = Math.floor(pos);
      const to = Math.max(from + 1, Math.floor(pos + ratio));
      let sum = 0;
      for (let j = from; j < to; j++) sum += input[j];
      const value = sum / (to - from);
      sumSquares += value * value;
      this.pending[this.pendingLength++] = encodeMulawSample(value);
      if (this.pendingLength === FRAME_BYTES) this.sendFrame();
      pos += ratio;
    }
    const keepFrom = Math.floor(pos);
    this.carry = Array.from(input.subarray(keepFrom));
    this.position = pos - keepFrom;
    this.stats.micLevel = Math.min(1, Math.sqrt(sumSquares / Math.max(1, samples.length / ratio)) * 4);
    this.stats.micPeak = Math.max(this.stats.micPeak, this.stats.micLevel);
  }

  sendFrame() {
    this.pendingLength = 0;
    this.stats.sentMs += 20;
    this.send({
      event: 'media',
      sequenceNumber: String(++this.sequence),
      streamSid: this.streamSid,
      media: { track: 'inbound', chunk: String(++this.chunk), timestamp: String(this.stats.sentMs), payload: toBase64(this.pending) },
    });
    this.onStats?.(this.stats);
  }

  onMessage(text) {
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (message.event === 'media') this.play(fromBase64(message.media.payload));
    else if (message.event === 'mark') this.scheduleMark(message.mark.name);
    else if (message.event === 'clear') this.clear();
  }

  play(mulaw) {
    const buffer = this.context.createBuffer(1, mulaw.length, 8000);
    const channel = buffer.getChannelData(0);
    let sumSquares = 0;
    for (let i = 0; i < mulaw.length; i++) {
      channel[i] = DECODE[mulaw[i]];
      sumSquares += channel[i] * channel[i];
    }
    const source = this.context.createBufferSource();
    source.buffer = buffer;
    source.connect(this.context.destination);
    const at = Math.max(this.context.currentTime + 0.03, this.playhead);
    source.start(at);
    this.playhead = at + buffer.duration;
    this.sources.add(source);
    source.onended = () => this.sources.delete(source);
    this.stats.receivedMs += mulaw.length / 8;
    // Audio arrives faster than real time: show its level when it actually plays.
    const level = Math.min(1, Math.sqrt(sumSquares / mulaw.length) * 4);
    const generation = this.generation;
    setTimeout(() => {
      if (generation !== this.generation || !this.socket) return;
      this.stats.outLevel = level;
      this.onStats?.(this.stats);
    }, Math.max(0, (at - this.context.currentTime) * 1000));
    this.onStats?.(this.stats);
  }

  scheduleMark(name) {
    const mark = { name };
    const delayMs = Math.max(0, (this.playhead - this.context.currentTime) * 1000);
    mark.timer = setTimeout(() => this.echoMark(mark), delayMs);
    this.marks.push(mark);
  }

  echoMark(mark) {
    const index = this.marks.indexOf(mark);
    if (index === -1) return;
    this.marks.splice(index, 1);
    this.stats.marksEchoed++;
    if (this.marks.length === 0) this.stats.outLevel = 0;
    this.send({ event: 'mark', sequenceNumber: String(++this.sequence), streamSid: this.streamSid, mark: { name: mark.name } });
    this.onStats?.(this.stats);
  }

  clear() {
    this.stats.clears++;
    this.generation++;
    for (const source of this.sources) source.stop();
    this.sources.clear();
    this.playhead = this.context.currentTime;
    this.stats.outLevel = 0;
    for (const mark of [...this.marks]) {
      clearTimeout(mark.timer);
      this.echoMark(mark);
    }
  }

  send(message) {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  status(text, state) {
    if (state) this.stats.state = state;
    this.onStatus?.(text, this.stats);
  }
}
