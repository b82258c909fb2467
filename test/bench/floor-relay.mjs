// THE FLOOR: a bare Twilio <-> OpenAI relay used only as a measuring stick by the load benchmark
// (test/bench). Not product code: raw `ws`, string slicing, no validation, no marks, no barge-in,
// no logging. It moves the same messages the gateway moves, so the gateway's figures can be shown
// as ratios to it under identical load.
import { createServer } from 'node:http';
import WebSocket, { WebSocketServer } from 'ws';

const port = Number(process.env.PORT);
const upstreamUrl = process.env.OPENAI_REALTIME_URL + '?model=gpt-realtime';
const MEDIA_PREFIX = '{"event":"media"';
const PAYLOAD_KEY = '"payload":"';
const DELTA_PREFIX = '{"type":"response.output_audio.delta"';
const DELTA_KEY = '"delta":"';

const http = createServer((_req, res) => res.writeHead(404).end());
const wss = new WebSocketServer({ server: http, path: '/media-stream', perMessageDeflate: false });
wss.on('connection', (twilio) => {
  let upstream;
  let mediaPrefix = '';
  const held = [];
  twilio.on('error', () => undefined);
  twilio.on('message', (data) => {
    const text = data.toString();
    if (text.startsWith(MEDIA_PREFIX)) {
      const start = text.indexOf(PAYLOAD_KEY) + PAYLOAD_KEY.length;
      const append = '{"type":"input_audio_buffer.append","audio":"' + text.slice(start, text.indexOf('"', start)) + '"}';
      if (upstream?.readyState === WebSocket.OPEN) upstream.send(append);
      else held.push(append);
      return;
    }
    const frame = JSON.parse(text);
    if (frame.event === 'start') {
      mediaPrefix = '{"event":"media","streamSid":"' + frame.start.streamSid + '","media":{"payload":"';
      upstream = new WebSocket(upstreamUrl, { perMessageDeflate: false, headers: { Authorization: 'Bearer ' + process.env.OPENAI_API_KEY } });
      upstream.on('error', () => undefined);
      upstream.on('open', () => {
        upstream.send(JSON.stringify({ type: 'session.update', session: { type: 'realtime', audio: { input: { format: { type: 'audio/pcmu' } }, output: { format: { type: 'audio/pcmu' } } } } }));
        for (const append of held.splice(0)) upstream.send(append);
      });
      upstream.on('message', (message) => {
        const event = message.toString();
        if (!event.startsWith(DELTA_PREFIX)) return;
        const start = event.indexOf(DELTA_KEY) + DELTA_KEY.length;
        if (twilio.readyState === WebSocket.OPEN) twilio.send(mediaPrefix + event.slice(start, event.indexOf('"', start)) + '"}}');
      });
      upstream.on('close', () => twilio.close());
    } else if (frame.event === 'stop') {
      upstream?.close();
    }
  });
  twilio.on('close', () => upstream?.close());
});
http.listen(port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
