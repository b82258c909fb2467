import { describe, expect, it } from 'vitest';
import type { RealtimeErrorDetail } from './realtime-events';
import { buildSessionConfig, buildSessionFallbacks } from './session-config';
import type { AssistantSessionSettings } from './session-config';
import { refusedFeature, withoutFeature } from './session-degrade';

const settings: AssistantSessionSettings = {
  model: 'gpt-realtime-2.1',
  voice: 'marin',
  instructions: 'Be brief.',
  turnDetection: { type: 'semantic_vad', threshold: 0.6, prefixPaddingMs: 250, silenceDurationMs: 450, eagerness: 'high' },
  noiseReduction: 'near_field',
  inputTranscriptionModel: 'gpt-transcribe',
  reasoningEffort: 'low',
};
const config = buildSessionConfig(settings);
const refusal = (param: string | null, type = 'invalid_request_error'): RealtimeErrorDetail => ({ type, code: 'invalid_value', message: 'no', param });

describe('refusedFeature', () => {
  it.each([
    ['session.audio.input.transcription.model', 'transcription'],
    ['session.audio.input.transcription', 'transcription'],
    ['session.audio.input.noise_reduction.type', 'noise_reduction'],
    ['session.reasoning.effort', 'reasoning'],
    ['session.reasoning', 'reasoning'],
    ['session.audio.input.turn_detection.type', 'semantic_vad'],
    ['session.audio.input.turn_detection', 'semantic_vad'],
  ])('names %s as %s', (param, feature) => {
    expect(refusedFeature(config, refusal(param))).toBe(feature);
  });

  it('names nothing for a required part, a missing param, a server error, or a part the configuration does not have', () => {
    expect(refusedFeature(config, refusal('session.audio.output.voice'))).toBeUndefined();
    expect(refusedFeature(config, refusal('session.audio.input.transcriptionist'))).toBeUndefined();
    expect(refusedFeature(config, refusal(null))).toBeUndefined();
    expect(refusedFeature(config, refusal('session.reasoning', 'server_error'))).toBeUndefined();
    const serverVad = buildSessionConfig({ ...settings, turnDetection: { ...settings.turnDetection, type: 'server_vad' } });
    expect(refusedFeature(serverVad, refusal('session.audio.input.turn_detection.threshold'))).toBeUndefined();
  });
});

describe('withoutFeature', () => {
  it('leaves the refused part out and keeps everything else', () => {
    expect(withoutFeature(config, 'transcription').audio!.input).not.toHaveProperty('transcription');
    expect(withoutFeature(config, 'noise_reduction').audio!.input).not.toHaveProperty('noise_reduction');
    expect(withoutFeature(config, 'reasoning')).not.toHaveProperty('reasoning');
    const without = withoutFeature(config, 'transcription');
    expect(without.audio!.input!.noise_reduction).toEqual({ type: 'near_field' });
    expect(without.audio!.output).toEqual(config.audio!.output);
    expect(without.reasoning).toEqual({ effort: 'low' });
    // The original is untouched.
    expect(config.audio!.input!.transcription).toEqual({ model: 'gpt-transcribe' });
  });

  it('replaces semantic VAD by server VAD with the configured numbers (or OpenAI defaults without fallbacks)', () => {
    expect(withoutFeature(config, 'semantic_vad', buildSessionFallbacks(settings)).audio!.input!.turn_detection).toEqual({
      type: 'server_vad',
      threshold: 0.6,
      prefix_padding_ms: 250,
      silence_duration_ms: 450,
      create_response: true,
      interrupt_response: true,
    });
    expect(withoutFeature(config, 'semantic_vad').audio!.input!.turn_detection).toEqual({ type: 'server_vad', create_response: true, interrupt_response: true });
  });
});
