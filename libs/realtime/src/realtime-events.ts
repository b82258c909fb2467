/**
 * The subset of the OpenAI Realtime (GA) protocol the gateway speaks.
 * Shapes follow OpenAI's GA Realtime API reference (client and server events over WebSocket);
 * beta-only names (`response.audio.delta`, `OpenAI-Beta` headers) are never used.
 */

export interface RealtimeTurnDetection {
  type: 'server_vad';
  threshold: number;
  prefix_padding_ms: number;
  silence_duration_ms: number;
  create_response: boolean;
  interrupt_response: boolean;
}

export interface RealtimeFunctionTool {
  type: 'function';
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

export interface RealtimeSessionConfig {
  type: 'realtime';
  model: string;
  output_modalities: ['audio'];
  instructions: string;
  audio: {
    input: {
      format: { type: 'audio/pcmu' };
      turn_detection: RealtimeTurnDetection;
      transcription: { model: string } | null;
    };
    output: { format: { type: 'audio/pcmu' }; voice: string };
  };
  tools?: RealtimeFunctionTool[];
  tool_choice?: 'auto' | 'none' | 'required';
}

export interface RealtimeConversationItem {
  id?: string;
  type: 'message' | 'function_call' | 'function_call_output';
  role?: 'user' | 'assistant' | 'system';
  content?: Array<{ type: string; text?: string; transcript?: string }>;
  call_id?: string;
  name?: string;
  arguments?: string;
  output?: string;
}

export type RealtimeClientEvent =
  | { type: 'session.update'; session: RealtimeSessionConfig }
  | { type: 'input_audio_buffer.append'; audio: string }
  | { type: 'response.create'; response?: { instructions?: string } }
  | { type: 'response.cancel'; response_id?: string }
  | { type: 'conversation.item.create'; item: RealtimeConversationItem; previous_item_id?: string }
  | { type: 'conversation.item.truncate'; item_id: string; content_index: 0; audio_end_ms: number }
  | { type: 'conversation.item.delete'; item_id: string };

export interface RealtimeErrorDetail {
  type?: string;
  code?: string | null;
  message?: string;
  param?: string | null;
  event_id?: string | null;
}

export interface RealtimeUsage {
  total_tokens?: number;
  input_tokens?: number;
  output_tokens?: number;
  input_token_details?: { text_tokens?: number; audio_tokens?: number; cached_tokens?: number };
  output_token_details?: { text_tokens?: number; audio_tokens?: number };
}

/** Server events the gateway acts on. Anything else arrives as the loose `{ type: string }` shape. */
export type RealtimeServerEvent =
  | { type: 'session.created' | 'session.updated'; session?: Partial<RealtimeSessionConfig> }
  | { type: 'input_audio_buffer.speech_started'; audio_start_ms: number; item_id: string }
  | { type: 'input_audio_buffer.speech_stopped'; audio_end_ms: number; item_id: string }
  | { type: 'response.created'; response: { id: string; status: string } }
  | {
      type: 'response.done';
      response: { id: string; status: string; status_details?: unknown; usage?: RealtimeUsage | null; output?: RealtimeConversationItem[] };
    }
  | { type: 'response.output_audio.delta'; response_id: string; item_id: string; content_index: number; delta: string }
  | { type: 'response.output_audio.done'; response_id: string; item_id: string }
  | { type: 'response.output_audio_transcript.done'; response_id: string; item_id: string; transcript: string }
  | { type: 'conversation.item.input_audio_transcription.completed'; item_id: string; transcript: string }
  | { type: 'conversation.item.truncated'; item_id: string; audio_end_ms: number }
  | { type: 'conversation.item.deleted'; item_id: string }
  | { type: 'response.function_call_arguments.done'; response_id: string; item_id: string; call_id: string; name: string; arguments: string }
  | { type: 'error'; error: RealtimeErrorDetail };

export type RealtimeServerEventType = RealtimeServerEvent['type'];

/** OpenAI errors that are expected during normal turn-taking races, not failures. */
export const BENIGN_OPENAI_ERROR_CODES: ReadonlySet<string> = new Set([
  'response_cancel_not_active',
  'conversation_already_has_active_response',
]);
