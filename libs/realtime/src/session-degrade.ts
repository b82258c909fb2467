import type { RealtimeErrorDetail, RealtimeSessionConfig } from './realtime-events';
import type { RealtimeSessionFallbacks } from './session-config';

/**
 * The parts of a session configuration a call can do without: when OpenAI refuses one, the session
 * is configured again without it (semantic VAD falls back to server VAD) and the call goes on.
 */
export type OptionalSessionFeature = 'transcription' | 'noise_reduction' | 'reasoning' | 'semantic_vad';

export const OPTIONAL_SESSION_FEATURES: readonly OptionalSessionFeature[] = ['transcription', 'noise_reduction', 'reasoning', 'semantic_vad'];

/** The `param` OpenAI names in its `error` for each part (the field itself or one inside it). */
const FEATURE_PARAMS: ReadonlyArray<[prefix: string, feature: OptionalSessionFeature]> = [
  ['session.audio.input.transcription', 'transcription'],
  ['session.audio.input.noise_reduction', 'noise_reduction'],
  ['session.reasoning', 'reasoning'],
  ['session.audio.input.turn_detection', 'semantic_vad'],
];

/**
 * The optional part of `config` an OpenAI error refuses, if it names one that `config` has (by its
 * `param`, e.g. `session.audio.input.transcription.model`); undefined for anything else.
 */
export function refusedFeature(config: RealtimeSessionConfig, error: RealtimeErrorDetail | undefined): OptionalSessionFeature | undefined {
  const param = error?.param;
  if (typeof param !== 'string' || error?.type === 'server_error') return undefined;
  for (const [prefix, feature] of FEATURE_PARAMS) {
    const names = param === prefix || param.startsWith(`${prefix}.`) || param.startsWith(`${prefix}[`);
    if (names && hasFeature(config, feature)) return feature;
  }
  return undefined;
}

export function hasFeature(config: RealtimeSessionConfig, feature: OptionalSessionFeature): boolean {
  const input = config.audio?.input;
  switch (feature) {
    case 'transcription':
      return input?.transcription !== undefined;
    case 'noise_reduction':
      return input?.noise_reduction !== undefined;
    case 'reasoning':
      return config.reasoning !== undefined;
    case 'semantic_vad':
      return input?.turn_detection?.type === 'semantic_vad';
  }
}

/** `config` without that part (a new object): left out, or semantic VAD replaced by server VAD. */
export function withoutFeature(config: RealtimeSessionConfig, feature: OptionalSessionFeature, fallbacks: RealtimeSessionFallbacks = {}): RealtimeSessionConfig {
  if (feature === 'reasoning') {
    const { reasoning: _dropped, ...rest } = config;
    return rest;
  }
  const input = { ...config.audio?.input };
  if (feature === 'transcription') delete input.transcription;
  if (feature === 'noise_reduction') delete input.noise_reduction;
  if (feature === 'semantic_vad') {
    const semantic = input.turn_detection;
    input.turn_detection = fallbacks.serverVad ?? {
      type: 'server_vad',
      create_response: semantic?.create_response ?? true,
      interrupt_response: semantic?.interrupt_response ?? true,
    };
  }
  return { ...config, audio: { ...config.audio, input } };
}
