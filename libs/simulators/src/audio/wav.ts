import { decodeMulawSample, encodeMulaw } from './mulaw';

/** Decoded audio: mono samples in -1..1 at `sampleRate`. */
export interface MonoAudio {
  sampleRate: number;
  samples: Float32Array;
}

const FORMAT_PCM = 1;
const FORMAT_FLOAT = 3;
const FORMAT_ALAW = 6;
const FORMAT_MULAW = 7;
const FORMAT_EXTENSIBLE = 0xfffe;

/**
 * Reads a RIFF/WAVE file: integer PCM (8/16/24/32-bit), 32/64-bit float, A-law and µ-law, plain or
 * WAVE_FORMAT_EXTENSIBLE, any rate and channel count (channels are mixed down to mono).
 */
export function readWav(file: Buffer): MonoAudio {
  if (file.length < 12 || file.toString('ascii', 0, 4) !== 'RIFF' || file.toString('ascii', 8, 12) !== 'WAVE') {
    throw new Error('not a WAV file (no RIFF/WAVE header)');
  }
  let format = 0;
  let channels = 0;
  let sampleRate = 0;
  let bits = 0;
  let data: Buffer | undefined;
  for (let offset = 12; offset + 8 <= file.length; ) {
    const id = file.toString('ascii', offset, offset + 4);
    const size = file.readUInt32LE(offset + 4);
    const body = file.subarray(offset + 8, Math.min(file.length, offset + 8 + size));
    if (id === 'fmt ') {
      format = body.readUInt16LE(0);
      channels = body.readUInt16LE(2);
      sampleRate = body.readUInt32LE(4);
      bits = body.readUInt16LE(14);
      if (format === FORMAT_EXTENSIBLE && body.length >= 26) format = body.readUInt16LE(24);
    } else if (id === 'data') {
      data = body;
    }
    offset += 8 + size + (size % 2);
  }
  if (!format || !data) throw new Error('WAV file has no fmt or data chunk');
  if (channels < 1 || sampleRate < 1) throw new Error('WAV file has an invalid fmt chunk');
  const bytesPerSample = bits / 8;
  const read = sampleReader(format, bits);
  const frames = Math.floor(data.length / (bytesPerSample * channels));
  const samples = new Float32Array(frames);
  for (let i = 0; i < frames; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += read(data, (i * channels + c) * bytesPerSample);
    samples[i] = sum / channels;
  }
  return { sampleRate, samples };
}

function sampleReader(format: number, bits: number): (data: Buffer, offset: number) => number {
  if (format === FORMAT_PCM) {
    if (bits === 8) return (d, o) => (d[o] - 128) / 128;
    if (bits === 16) return (d, o) => d.readInt16LE(o) / 32768;
    if (bits === 24) return (d, o) => d.readIntLE(o, 3) / 8388608;
    if (bits === 32) return (d, o) => d.readInt32LE(o) / 2147483648;
  }
  if (format === FORMAT_FLOAT) {
    if (bits === 32) return (d, o) => d.readFloatLE(o);
    if (bits === 64) return (d, o) => d.readDoubleLE(o);
  }
  if (format === FORMAT_MULAW && bits === 8) return (d, o) => decodeMulawSample(d[o]) / 32768;
  if (format === FORMAT_ALAW && bits === 8) return (d, o) => decodeAlaw(d[o]) / 32768;
  throw new Error(`unsupported WAV encoding (format ${format}, ${bits} bits)`);
}

function decodeAlaw(code: number): number {
  const a = code ^ 0x55;
  const exponent = (a >> 4) & 0x07;
  let magnitude = ((a & 0x0f) << 4) + 8;
  if (exponent > 0) magnitude = (magnitude + 0x100) << (exponent - 1);
  return a & 0x80 ? magnitude : -magnitude;
}

/**
 * Resamples mono audio. Downsampling averages each output sample's input span (a box low-pass
 * that keeps most aliasing out of telephone audio); upsampling interpolates linearly.
 */
export function resample(audio: MonoAudio, targetRate: number): Float32Array {
  const { samples, sampleRate } = audio;
  if (sampleRate === targetRate) return samples;
  const ratio = sampleRate / targetRate;
  const out = new Float32Array(Math.floor(samples.length / ratio));
  for (let i = 0; i < out.length; i++) {
    const start = i * ratio;
    if (ratio > 1) {
      const from = Math.floor(start);
      const to = Math.min(samples.length, Math.max(from + 1, Math.floor(start + ratio)));
      let sum = 0;
      for (let j = from; j < to; j++) sum += samples[j];
      out[i] = sum / (to - from);
    } else {
      const j = Math.floor(start);
      const frac = start - j;
      out[i] = samples[j] * (1 - frac) + (samples[Math.min(j + 1, samples.length - 1)] ?? 0) * frac;
    }
  }
  return out;
}

/** Any supported WAV file as 8 kHz µ-law, ready to stream as Twilio media. */
export function wavToMulaw(file: Buffer): Buffer {
  const audio = readWav(file);
  const samples = resample(audio, 8000);
  const pcm = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) pcm[i] = Math.max(-32768, Math.min(32767, Math.round(samples[i] * 32768)));
  return encodeMulaw(pcm);
}

/** A 16-bit PCM mono WAV file. */
export function encodeWavPcm16(pcm: Int16Array, sampleRate: number): Buffer {
  const header = Buffer.alloc(44);
  const dataBytes = pcm.length * 2;
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + dataBytes, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(FORMAT_PCM, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(dataBytes, 40);
  return Buffer.concat([header, Buffer.from(pcm.buffer, pcm.byteOffset, dataBytes)]);
}

/** 8 kHz µ-law audio as a 16-bit PCM WAV file (plays everywhere). */
export function mulawToWav(mulaw: Uint8Array): Buffer {
  const pcm = new Int16Array(mulaw.length);
  for (let i = 0; i < mulaw.length; i++) pcm[i] = decodeMulawSample(mulaw[i]);
  return encodeWavPcm16(pcm, 8000);
}
