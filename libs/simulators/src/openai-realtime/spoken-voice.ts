import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { wavToMulaw } from '../audio/wav';
import type { SimulatedSessionBehaviour } from './simulated-session';
import { toneVoice } from './tone-voice';

/** Phrases pre-rendered with espeak-ng (scripts/render-voice-fixtures.sh), keyed by their exact text. */
export const SPOKEN_PHRASES = {
  greeting: { file: 'greeting.wav', text: 'Hello! This is the simulated assistant. How can I help you today?' },
  replies: [
    { file: 'reply-1.wav', text: 'Thanks, I heard you. This is a simulated answer from the gateway.' },
    { file: 'reply-2.wav', text: 'Got it. Ask me something else, or hang up when you are done.' },
    { file: 'reply-3.wav', text: 'I am still here, and I am still only a simulator.' },
  ],
} as const;

/** The demo caller's utterance, shipped in the repo. */
export const CALLER_UTTERANCE = { file: 'caller-hello.wav', text: 'Hi there! What time do you open tomorrow?' } as const;

/** Finds a file of libs/simulators/assets/voice next to the sources, next to the build output, or from the repo root. */
export function voiceAssetPath(file: string): string | undefined {
  const candidates = [
    join(__dirname, '..', '..', 'assets', 'voice', file),
    join(process.cwd(), 'libs', 'simulators', 'assets', 'voice', file),
  ];
  return candidates.find((path) => existsSync(path));
}

/** A shipped voice file as 8 kHz µ-law. */
export function loadVoiceAsset(file: string): Buffer {
  const path = voiceAssetPath(file);
  if (!path) throw new Error(`voice asset ${file} not found (expected under libs/simulators/assets/voice)`);
  return wavToMulaw(readFileSync(path));
}

/**
 * Simulator behaviour that answers with recognisable speech: the greeting, then the replies in
 * turn. Text it has no recording for (scripted replies) falls back to the tone voice. Loaded once.
 */
export function spokenVoiceBehaviour(): Pick<SimulatedSessionBehaviour, 'reply' | 'speak' | 'transcribe'> {
  const audioByText = new Map<string, Buffer>();
  for (const phrase of [SPOKEN_PHRASES.greeting, ...SPOKEN_PHRASES.replies]) {
    if (voiceAssetPath(phrase.file)) audioByText.set(phrase.text, loadVoiceAsset(phrase.file));
  }
  const replies = SPOKEN_PHRASES.replies;
  // Audio reaches the simulator byte for byte, so the shipped utterance is "recognised" exactly.
  const utterance = voiceAssetPath(CALLER_UTTERANCE.file) ? loadVoiceAsset(CALLER_UTTERANCE.file) : undefined;
  const fingerprint = utterance?.subarray(Math.floor(utterance.length / 2), Math.floor(utterance.length / 2) + 800);
  return {
    transcribe: (audio) =>
      fingerprint && audio.includes(fingerprint)
        ? CALLER_UTTERANCE.text
        : `(${(audio.length / 8000).toFixed(1)} s of caller speech; the simulator does not transcribe)`,
    // Turn 1 is normally the greeting, so the caller's first turn (turn 2) gets the first reply.
    reply: ({ instructions, turn }) =>
      instructions ? SPOKEN_PHRASES.greeting.text : replies[(turn + replies.length - 2) % replies.length].text,
    speak: (text) => audioByText.get(text) ?? toneVoice(text),
  };
}
