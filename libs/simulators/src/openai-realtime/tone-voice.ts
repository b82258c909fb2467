import { encodeMulaw, MULAW_BYTES_PER_MS } from '../audio/mulaw';

/**
 * The simulator's default "voice": one short tone per word, its pitch taken from the word, so a
 * reply is recognisable (and different replies sound different) without a speech synthesizer.
 */
export function toneVoice(text: string): Buffer {
  const words = text.split(/\s+/).filter(Boolean).slice(0, 40);
  const wordMs = 180;
  const gapMs = 40;
  const samplesPerWord = wordMs * MULAW_BYTES_PER_MS;
  const gapSamples = gapMs * MULAW_BYTES_PER_MS;
  const pcm = new Int16Array(Math.max(1, words.length) * (samplesPerWord + gapSamples));
  words.forEach((word, w) => {
    let hash = 0;
    for (const ch of word) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
    const frequency = 220 + (hash % 12) * 40;
    const start = w * (samplesPerWord + gapSamples);
    for (let i = 0; i < samplesPerWord; i++) {
      const envelope = Math.min(1, i / 200, (samplesPerWord - i) / 200);
      pcm[start + i] = 6000 * envelope * Math.sin((2 * Math.PI * frequency * i) / 8000);
    }
  });
  return encodeMulaw(pcm);
}
