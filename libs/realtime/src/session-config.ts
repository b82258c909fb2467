import { takesReasoning } from './openai-models';
import type {
  RealtimeAudioTranscription,
  RealtimeFunctionTool,
  RealtimeNoiseReductionType,
  RealtimeReasoningEffort,
  RealtimeSemanticVadEagerness,
  RealtimeServerVad,
  RealtimeSessionConfig,
} from './realtime-events';

/** How the caller's turns are detected. */
export interface TurnDetectionConfig {
  /** `server_vad` (silence-based) or `semantic_vad` (the model judges when the caller is done); default server VAD. */
  type?: 'server_vad' | 'semantic_vad';
  /** Server VAD (also used when OpenAI refuses semantic VAD): 0–1, how loud speech must be. */
  threshold: number;
  prefixPaddingMs: number;
  silenceDurationMs: number;
  /** Semantic VAD: how quickly the model takes its turn. */
  eagerness?: RealtimeSemanticVadEagerness;
}

export interface AssistantSessionSettings {
  model: string;
  voice: string;
  instructions: string;
  turnDetection: TurnDetectionConfig;
  /** Caller-side transcription model; undefined turns transcription off. */
  inputTranscriptionModel?: string;
  /** Languages the caller speaks (ISO-639-1), hints for transcription: one is sent as `language`, several as `languages`. */
  transcriptionLanguages?: string[];
  /** Input noise reduction (`near_field` for a handset); undefined turns it off. */
  noiseReduction?: RealtimeNoiseReductionType;
  /** Sent only to models that take it (the reasoning models, gpt-realtime-2 and later). */
  reasoningEffort?: RealtimeReasoningEffort;
  tools?: RealtimeFunctionTool[];
}

/** What to use instead when OpenAI refuses an optional part of a session configuration. */
export interface RealtimeSessionFallbacks {
  /** Turn detection when semantic VAD is refused. */
  serverVad?: RealtimeServerVad;
}

/**
 * The GA `session.update` body for a telephone call: G.711 µ-law both ways, the caller's turns
 * detected by OpenAI. Parts that are off are left out (never `null`).
 */
export function buildSessionConfig(settings: AssistantSessionSettings): RealtimeSessionConfig {
  const detection = settings.turnDetection;
  const config: RealtimeSessionConfig = {
    type: 'realtime',
    model: settings.model,
    output_modalities: ['audio'],
    instructions: settings.instructions,
    audio: {
      input: {
        format: { type: 'audio/pcmu' },
        turn_detection:
          detection.type === 'semantic_vad'
            ? { type: 'semantic_vad', eagerness: detection.eagerness ?? 'auto', create_response: true, interrupt_response: true }
            : serverVad(detection),
        ...(settings.noiseReduction ? { noise_reduction: { type: settings.noiseReduction } } : {}),
        ...(settings.inputTranscriptionModel ? { transcription: transcription(settings.inputTranscriptionModel, settings.transcriptionLanguages) } : {}),
      },
      output: { format: { type: 'audio/pcmu' }, voice: settings.voice },
    },
  };
  if (settings.reasoningEffort && takesReasoning(settings.model)) config.reasoning = { effort: settings.reasoningEffort };
  if (settings.tools && settings.tools.length > 0) {
    config.tools = settings.tools;
    config.tool_choice = 'auto';
  }
  return config;
}

/** The fallbacks of these settings: server VAD with the configured numbers, when semantic VAD is asked for. */
export function buildSessionFallbacks(settings: AssistantSessionSettings): RealtimeSessionFallbacks {
  return settings.turnDetection.type === 'semantic_vad' ? { serverVad: serverVad(settings.turnDetection) } : {};
}

/**
 * The instructions of a response the gateway asks for (a greeting, a goodbye): the session's own,
 * then the turn's. Per-response instructions replace the session's for that response, so sending
 * the turn's alone would lose the persona and the profile's language exactly on those turns.
 */
export function turnInstructions(sessionInstructions: string | undefined, turn: string): string {
  const persona = sessionInstructions?.trim();
  return persona ? `${persona}\n\n${turn}` : turn;
}

function serverVad(detection: TurnDetectionConfig): RealtimeServerVad {
  return {
    type: 'server_vad',
    threshold: detection.threshold,
    prefix_padding_ms: detection.prefixPaddingMs,
    silence_duration_ms: detection.silenceDurationMs,
    create_response: true,
    interrupt_response: true,
  };
}

function transcription(model: string, languages: string[] | undefined): RealtimeAudioTranscription {
  if (!languages || languages.length === 0) return { model };
  return languages.length === 1 ? { model, language: languages[0] } : { model, languages };
}
