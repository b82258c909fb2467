import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { decodeMulaw, mulawLevel, mulawTone } from './mulaw';
import { encodeWavPcm16, mulawToWav, readWav, wavToMulaw } from './wav';
import { voiceAssetPath } from '../openai-realtime/spoken-voice';

function sineWav(rate: number, channels: number, bits: 16 | 32, float: boolean, hz: number, ms: number): Buffer {
  const frames = Math.round((rate * ms) / 1000);
  const bytes = bits / 8;
  const data = Buffer.alloc(frames * channels * bytes);
  for (let i = 0; i < frames; i++) {
    const v = 0.5 * Math.sin((2 * Math.PI * hz * i) / rate);
    for (let c = 0; c < channels; c++) {
      const o = (i * channels + c) * bytes;
      if (float) data.writeFloatLE(v, o);
      else if (bits === 16) data.writeInt16LE(Math.round(v * 32767), o);
      else data.writeInt32LE(Math.round(v * 2147483647), o);
    }
  }
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(float ? 3 : 1, 20);
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * channels * bytes, 28);
  header.writeUInt16LE(channels * bytes, 32);
  header.writeUInt16LE(bits, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

/** Dominant frequency of 8 kHz PCM by zero crossings. */
function frequency(pcm: Int16Array): number {
  let crossings = 0;
  for (let i = 1; i < pcm.length; i++) if ((pcm[i - 1] < 0) !== (pcm[i] < 0)) crossings++;
  return (crossings / 2) * (8000 / pcm.length);
}

describe('WAV input for the call simulator', () => {
  it.each([
    [44100, 2, 16, false],
    [48000, 1, 32, true],
    [16000, 1, 32, false],
    [8000, 1, 16, false],
  ] as const)('converts %i Hz, %i channel(s), %i-bit (float: %s) to 8 kHz µ-law at the same pitch and length', (rate, ch, bits, float) => {
    const mulaw = wavToMulaw(sineWav(rate, ch, bits, float, 440, 1000));
    expect(mulaw.length).toBeGreaterThanOrEqual(7990);
    expect(mulaw.length).toBeLessThanOrEqual(8000);
    const hz = frequency(decodeMulaw(mulaw));
    expect(hz).toBeGreaterThan(430);
    expect(hz).toBeLessThan(450);
  });

  it('reads the shipped µ-law utterance byte for byte and round-trips µ-law through a PCM WAV', () => {
    const file = readFileSync(voiceAssetPath('caller-hello.wav')!);
    const mulaw = wavToMulaw(file);
    expect(mulaw.length).toBeGreaterThan(8000);
    expect(mulawLevel(mulaw)).toBeGreaterThan(400);
    expect(wavToMulaw(mulawToWav(mulaw)).equals(mulaw)).toBe(true);
    const tone = mulawTone(200);
    expect(readWav(mulawToWav(tone)).sampleRate).toBe(8000);
  });

  it('rejects files that are not WAV or use an unsupported encoding, with a clear message', () => {
    expect(() => readWav(Buffer.from('hello world, not a wav'))).toThrow(/not a WAV file/);
    const adpcm = encodeWavPcm16(new Int16Array(10), 8000);
    adpcm.writeUInt16LE(2, 20);
    expect(() => readWav(adpcm)).toThrow(/unsupported WAV encoding \(format 2/);
  });
});
