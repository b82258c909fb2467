// Echoing fake OpenAI Realtime for the load benchmark (test/bench). Not product code.
// Runs as its own process (forked by run-bench.mjs) so it never shares the server's event loop.
// It answers `session.update` with `session.updated`, and every `--batch-ms` of appended caller
// audio with the same length of assistant audio: one `response.output_audio.delta`, or, with
// `--delta-ms`, several back-to-back deltas of that size (a 100 ms answer as five 20 ms deltas), each
// stamped with its send time. It measures the caller -> OpenAI leg from the stamps in the appended audio.
import { WebSocketServer } from 'ws';
import { newHistogram, nowUs, readStamp, record, writeStamp } from './shared.mjs';

const batchFrames = Number(process.env.BENCH_BATCH_FRAMES ?? 5);
const FRAME_BYTES = 160;
const BYTES_PER_MS = 8;
const deltaBytes = Number(process.env.BENCH_DELTA_MS ?? batchFrames * 20) * BYTES_PER_MS;
const deltasPerBatch = (batchFrames * FRAME_BYTES) / deltaBytes;
const APPEND_PREFIX = '{"type":"input_audio_buffer.append"';
const AUDIO_KEY = '"audio":"';

let window = { start: Infinity, end: -Infinity };
const inbound = newHistogram(); // caller -> fake, frames whose stamp is inside the window
let deltasSentInWindow = 0;
let sessions = 0;
let openSessions = 0;

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
wss.on('listening', () => process.send({ type: 'listening', port: wss.address().port }));
wss.on('connection', (socket) => {
  sessions++;
  openSessions++;
  const session = { frames: 0, seq: 0, callNo: 0, responseStarted: false, audio: Buffer.alloc(deltaBytes, 0xff) };
  socket.on('error', () => undefined);
  socket.on('close', () => openSessions--);
  socket.on('message', (data) => {
    const text = data.toString();
    if (text.startsWith(APPEND_PREFIX)) {
      const at = text.indexOf(AUDIO_KEY) + AUDIO_KEY.length;
      const stamp = readStamp(text, at);
      // Silence the gateway appends where caller media stopped carries no stamp (0xFF bytes read as NaN): not a caller frame.
      if (stamp && Number.isNaN(stamp.sentUs)) return;
      if (stamp) {
        session.callNo = stamp.callNo;
        if (stamp.sentUs >= window.start && stamp.sentUs < window.end) record(inbound, nowUs() - stamp.sentUs);
      }
      if (++session.frames % batchFrames === 0) for (let i = 0; i < deltasPerBatch; i++) sendDelta(socket, session);
      return;
    }
    let event;
    try {
      event = JSON.parse(text);
    } catch {
      return;
    }
    if (event.type === 'session.update') {
      socket.send(JSON.stringify({ type: 'session.updated', event_id: 'ev_su', session: { type: 'realtime', ...event.session } }));
    }
  });
});

function sendDelta(socket, session) {
  if (!session.responseStarted) {
    session.responseStarted = true;
    socket.send('{"type":"response.created","event_id":"ev_rc","response":{"id":"resp_bench","object":"realtime.response","status":"in_progress","output":[]}}');
  }
  const sentUs = nowUs();
  writeStamp(session.audio, sentUs, session.callNo, ++session.seq);
  if (sentUs >= window.start && sentUs < window.end) deltasSentInWindow++;
  socket.send(
    '{"type":"response.output_audio.delta","event_id":"ev_' + session.seq + '","response_id":"resp_bench","item_id":"item_bench","output_index":0,"content_index":0,"delta":"' +
      session.audio.toString('base64') + '"}',
  );
}

process.on('message', (message) => {
  if (message.type === 'window') window = { start: message.start, end: message.end };
  if (message.type === 'report') process.send({ type: 'report', inbound, deltasSentInWindow, sessions, openSessions });
});
process.on('disconnect', () => process.exit(0));
