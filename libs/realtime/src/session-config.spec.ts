import { describe, expect, it } from 'vitest';
import type { AssistantSessionSettings } from './session-config';
import { buildSessionConfig, buildSessionFallbacks, turnInstructions } from './session-config';

const base: AssistantSessionSettings = {
  model: 'gpt-realtime-2.1',
  voice: 'marin',
  instructions: 'Be brief.',
  turnDetection: { type: 'server_vad', threshold: 0.5, prefixPaddingMs: 300, silenceDurationMs: 500, eagerness: 'auto' },
};

describe('buildSessionConfig', () => {
  it('leaves transcription and noise reduction out when they are off (never null)', () => {
    const input = buildSessionConfig(base).audio!.input!;
    expect('transcription' in input).toBe(false);
    expect('noise_reduction' in input).toBe(false);
    expect(JSON.stringify(buildSessionConfig(base))).not.toContain('null');
  });

  it('sends the phone-line settings: near-field noise reduction, transcription with its language hints, server VAD', () => {
    const one = buildSessionConfig({ ...base, noiseReduction: 'near_field', inputTranscriptionModel: 'gpt-transcribe', transcriptionLanguages: ['es'] });
    expect(one.audio!.input).toEqual({
      format: { type: 'audio/pcmu' },
      turn_detection: { type: 'server_vad', threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: 500, create_response: true, interrupt_response: true },
      noise_reduction: { type: 'near_field' },
      transcription: { model: 'gpt-transcribe', language: 'es' },
    });
    const several = buildSessionConfig({ ...base, inputTranscriptionModel: 'gpt-transcribe', transcriptionLanguages: ['en', 'es'] });
    expect(several.audio!.input!.transcription).toEqual({ model: 'gpt-transcribe', languages: ['en', 'es'] });
  });

  it('asks for semantic VAD with its eagerness, keeping server VAD with the configured numbers as the fallback', () => {
    const settings: AssistantSessionSettings = { ...base, turnDetection: { ...base.turnDetection, type: 'semantic_vad', eagerness: 'low', silenceDurationMs: 700 } };
    expect(buildSessionConfig(settings).audio!.input!.turn_detection).toEqual({ type: 'semantic_vad', eagerness: 'low', create_response: true, interrupt_response: true });
    expect(buildSessionFallbacks(settings)).toEqual({
      serverVad: { type: 'server_vad', threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: 700, create_response: true, interrupt_response: true },
    });
    expect(buildSessionFallbacks(base)).toEqual({});
  });

  it.each([
    ['gpt-realtime-2.1', true],
    ['gpt-realtime-2.1-mini', true],
    ['gpt-realtime-2', true],
    ['gpt-realtime-2-2026-05-01', true],
    ['gpt-realtime-1.5', false],
    ['gpt-realtime', false],
    ['gpt-realtime-mini', false],
    ['my-azure-deployment', false],
  ])('sends reasoning to %s: %s', (model, sent) => {
    const config = buildSessionConfig({ ...base, model, reasoningEffort: 'low' });
    expect(config.reasoning).toEqual(sent ? { effort: 'low' } : undefined);
    expect('reasoning' in config).toBe(sent);
  });
});

describe('turnInstructions', () => {
  it("puts the session's instructions (the persona, the profile's language) before the turn's own", () => {
    expect(turnInstructions('Eres la recepción.\n\nAlways speak Spanish.', 'Say goodbye.')).toBe('Eres la recepción.\n\nAlways speak Spanish.\n\nSay goodbye.');
    expect(turnInstructions('', 'Say goodbye.')).toBe('Say goodbye.');
    expect(turnInstructions(undefined, 'Say goodbye.')).toBe('Say goodbye.');
  });
});
