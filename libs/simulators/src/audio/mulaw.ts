/** G.711 µ-law helpers (8 kHz telephone audio: 8 bytes per millisecond). */

export const MULAW_BYTES_PER_MS = 8;
/** The µ-law code for digital silence. */
export const MULAW_SILENCE = 0xff;

const BIAS = 0x84;
const CLIP = 32635;

export function encodeMulawSample(sample: number): number {
  let s = Math.max(-CLIP, Math.min(CLIP, Math.round(sample)));
  const sign = s < 0 ? 0x80 : 0;
  if (sign) s = -s;
  s += BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

const DECODE_TABLE = new Int16Array(256);
for (let i = 0; i < 256; i++) {
  const u = ~i & 0xff;
  const sign = u & 0x80;
  const exponent = (u >> 4) & 0x07;
  const mantissa = u & 0x0f;
  const magnitude = (((mantissa << 3) + BIAS) << exponent) - BIAS;
  DECODE_TABLE[i] = sign ? -magnitude : magnitude;
}

export function decodeMulawSample(code: number): number {
  return DECODE_TABLE[code & 0xff];
}

export function encodeMulaw(pcm: Int16Array): Buffer {
  const out = Buffer.allocUnsafe(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = encodeMulawSample(pcm[i]);
  return out;
}

export function decodeMulaw(mulaw: Uint8Array): Int16Array {
  const out = new Int16Array(mulaw.length);
  for (let i = 0; i < mulaw.length; i++) out[i] = DECODE_TABLE[mulaw[i]];
  return out;
}

/** Mean absolute amplitude (0..32767) of a µ-law buffer: a cheap loudness measure for a fake VAD. */
export function mulawLevel(mulaw: Uint8Array): number {
  if (mulaw.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < mulaw.length; i++) sum += Math.abs(DECODE_TABLE[mulaw[i]]);
  return sum / mulaw.length;
}

export function mulawSilence(ms: number): Buffer {
  return Buffer.alloc(ms * MULAW_BYTES_PER_MS, MULAW_SILENCE);
}

/** A sine tone as µ-law, e.g. to stand in for speech in tests. */
export function mulawTone(ms: number, frequencyHz = 440, amplitude = 8000): Buffer {
  const samples = ms * MULAW_BYTES_PER_MS;
  const pcm = new Int16Array(samples);
  for (let i = 0; i < samples; i++) pcm[i] = amplitude * Math.sin((2 * Math.PI * frequencyHz * i) / 8000);
  return encodeMulaw(pcm);
}
