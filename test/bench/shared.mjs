// Shared by the load-benchmark processes (test/bench). Not product code.
//
// Every audio chunk the bench sends carries a stamp in its first 16 bytes:
//   [0..7]  float64 LE  send time, microseconds of the monotonic clock (process.hrtime), which is the
//                       same clock in every thread and process of the machine
//   [8..11] uint32 LE   call number
//   [12..15] uint32 LE  sequence number
// The first 24 base64 characters of a payload decode to its first 18 bytes, so a receiver reads a
// stamp without decoding the rest. The gateway forwards payloads untouched, so stamps survive.

export const STAMP_BASE64_CHARS = 24;

export function nowUs() {
  return Number(process.hrtime.bigint() / 1000n);
}

export function writeStamp(buffer, sentUs, callNo, seq) {
  buffer.writeDoubleLE(sentUs, 0);
  buffer.writeUInt32LE(callNo, 8);
  buffer.writeUInt32LE(seq, 12);
}

/** Reads the stamp at the start of a base64 payload; undefined when the payload is too short. */
export function readStamp(base64, start = 0) {
  if (base64.length - start < STAMP_BASE64_CHARS) return undefined;
  const bytes = Buffer.from(base64.slice(start, start + STAMP_BASE64_CHARS), 'base64');
  return { sentUs: bytes.readDoubleLE(0), callNo: bytes.readUInt32LE(8), seq: bytes.readUInt32LE(12) };
}

/** Latency histogram: 10 µs buckets up to 2 s, exact max. Mergeable across threads and processes. */
export const BUCKET_US = 10;
export const BUCKETS = 200_000;

export function newHistogram() {
  return { counts: new Uint32Array(BUCKETS + 1), max: 0, n: 0 };
}

export function record(histogram, latencyUs) {
  const us = latencyUs < 0 ? 0 : latencyUs;
  const bucket = Math.min(BUCKETS, Math.floor(us / BUCKET_US));
  histogram.counts[bucket]++;
  histogram.n++;
  if (us > histogram.max) histogram.max = us;
}

export function merge(into, from) {
  for (let i = 0; i <= BUCKETS; i++) into.counts[i] += from.counts[i];
  into.n += from.n;
  if (from.max > into.max) into.max = from.max;
  return into;
}

/** Percentile in milliseconds (upper edge of the bucket). */
export function percentileMs(histogram, p) {
  if (histogram.n === 0) return NaN;
  const rank = Math.ceil((p / 100) * histogram.n);
  let seen = 0;
  for (let i = 0; i <= BUCKETS; i++) {
    seen += histogram.counts[i];
    if (seen >= rank) return i === BUCKETS ? histogram.max / 1000 : Math.min(((i + 1) * BUCKET_US) / 1000, histogram.max / 1000);
  }
  return histogram.max / 1000;
}

/** Length in bytes of the data a base64 string encodes. */
export function base64Bytes(base64, start = 0, end = base64.length) {
  const length = end - start;
  if (length === 0) return 0;
  const padding = base64.charCodeAt(end - 1) === 61 ? (base64.charCodeAt(end - 2) === 61 ? 2 : 1) : 0;
  return (length * 3) / 4 - padding;
}
