import { RealtimeFunctionTool, RealtimeSessionConfig } from './realtime-events';

export interface AssistantSessionSettings {
  model: string;
  voice: string;
  instructions: string;
  turnDetection: { threshold: number; prefixPaddingMs: number; silenceDurationMs: number };
  /** Caller-side transcription model; undefined turns transcription off. */
  inputTranscriptionModel?: string;
  tools?: RealtimeFunctionTool[];
}

/** The GA `session.update` body for a telephone call: G.711 µ-law both ways, server VAD. */
export function buildSessionConfig(settings: AssistantSessionSettings): RealtimeSessionConfig {
  const config: RealtimeSessionConfig = {
    type: 'realtime',
    model: settings.model,
    output_modalities: ['audio'],
    instructions: settings.instructions,
    audio: {
      input: {
        format: { type: 'audio/pcmu' },
        turn_detection: {
          type: 'server_vad',
          threshold: settings.turnDetection.threshold,
          prefix_padding_ms: settings.turnDetection.prefixPaddingMs,
          silence_duration_ms: settings.turnDetection.silenceDurationMs,
          create_response: true,
          interrupt_response: true,
        },
        transcription: settings.inputTranscriptionModel ? { model: settings.inputTranscriptionModel } : null,
      },
      output: { format: { type: 'audio/pcmu' }, voice: settings.voice },
    },
  };
  if (settings.tools && settings.tools.length > 0) {
    config.tools = settings.tools;
    config.tool_choice = 'auto';
  }
  return config;
}
