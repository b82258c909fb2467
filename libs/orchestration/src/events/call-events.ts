import { Injectable, Logger } from '@nestjs/common';
import type { OptionalSessionFeature, RealtimeRateLimit, RealtimeTranscriptionUsage, RealtimeUsage } from '@app/realtime';
import type { PlaybackCut } from '../call/playback-clock';
import type { AssistantLookupOutcome } from '../lookup/assistant-lookup';
import type { CallEndReason } from '../call/call';
import type { ObservedCall } from '../call/observed-call';

/** One function call the assistant made during a call, once its result is known. */
export interface ToolCallEvent {
  name: string;
  /** The arguments as the model sent them (a JSON string, possibly invalid). */
  arguments: string;
  result?: unknown;
  /** Set when the tool failed or was refused. */
  error?: string;
  /** Epoch milliseconds when the tool started. */
  startedAt: number;
  durationMs: number;
}

/** How a voicemail drop ended: message left, hung up without one, a fax hung up on, or the drop failed. */
export type VoicemailOutcome = 'left' | 'hung-up' | 'fax' | 'failed';

/** What answering-machine detection found on an outbound call (told once, as the call ends). */
export interface VoicemailEvent {
  /** Twilio's AnsweredBy (its last verdict), when Twilio's detection ran and answered. */
  answeredBy?: string;
  /** Who recognised a machine: Twilio's detection, or the model (its voicemail_detected tool). */
  detectedBy?: 'twilio' | 'model';
  /** Set when a machine (or fax) was recognised and the call dropped. */
  outcome?: VoicemailOutcome;
  voicemailLeft: boolean;
}

/** A call recording Twilio started. */
export interface RecordingStartedEvent {
  sid: string;
  url: string;
  channels: number;
  status: string;
}

/**
 * A transfer of the caller to a human, once its outcome is known. `destination` is the
 * destination's NAME, never its number. A blind transfer is `connected` once Twilio took the call
 * over to dial it.
 */
export interface CallTransferEvent {
  mode: 'blind' | 'warm';
  destination: string;
  outcome: 'connected' | 'declined' | 'no-answer' | 'failed';
  /** Warm transfers: the summary the human agent heard before the caller was connected. */
  summary?: string;
}

/**
 * Hooks into the life of every call, for metrics, call records, live consoles and the like.
 * Every method is optional and gets the call as an ObservedCall (read-only, the same object for
 * every event of one call, so it can key a Map). Observers run synchronously on the call's path: keep them cheap,
 * and never do I/O inline. A throwing observer is logged and never affects the call.
 */
export interface CallObserver {
  /**
   * The assistant lookup (ASSISTANT_LOOKUP_URL) finished, before callStarted: `outcome` says how
   * (`answered`, `no-content`, `timeout`, `error`, `invalid`), `durationMs` how long the call waited.
   */
  assistantLookup?(call: ObservedCall, outcome: AssistantLookupOutcome, durationMs: number): void;
  callStarted?(call: ObservedCall): void;
  /** A socket to OpenAI opened (the first, or a reconnect's); `connectMs` is from the stream's `start`. */
  openAiConnected?(call: ObservedCall, connectMs: number): void;
  /** The OpenAI session accepted the configuration; `setupMs` is from the stream's `start`. */
  sessionReady?(call: ObservedCall, setupMs: number): void;
  callerSpeechStarted?(call: ObservedCall): void;
  callerSpeechStopped?(call: ObservedCall): void;
  /** A caller turn's transcript; `usage` is what transcribing it cost (tokens, or seconds of audio). */
  callerTranscript?(call: ObservedCall, itemId: string, transcript: string, usage?: RealtimeTranscriptionUsage): void;
  /** OpenAI could not transcribe a caller turn (`code` as OpenAI gives it, e.g. `audio_unintelligible`). */
  callerTranscriptionFailed?(call: ObservedCall, itemId: string, error: { code: string; message?: string }): void;
  /**
   * The first audio of an assistant response was sent to Twilio. `latencyMs` is from the end of
   * the caller's speech (server VAD's speech_stopped), when the response answers a caller turn.
   */
  assistantAudioStarted?(call: ObservedCall, responseId: string, latencyMs: number | undefined): void;
  assistantTranscript?(call: ObservedCall, itemId: string, transcript: string): void;
  /** The caller interrupted the assistant; `cuts` says how much of each item was heard. */
  bargeIn?(call: ObservedCall, cuts: PlaybackCut[]): void;
  responseDone?(call: ObservedCall, responseId: string, status: string, usage: RealtimeUsage | undefined): void;
  openAiError?(call: ObservedCall, code: string, message: string | undefined): void;
  /** OpenAI refused an optional part of the call's session configuration; the call goes on without it. */
  openAiFeatureDropped?(call: ObservedCall, feature: OptionalSessionFeature): void;
  /** OpenAI's `rate_limits.updated` (at the start of each response): what is left of the account's limits. */
  rateLimitsUpdated?(call: ObservedCall, limits: readonly RealtimeRateLimit[]): void;
  /** The call's OpenAI session dropped and is being reopened; `attempt` counts from 1. */
  openAiReconnect?(call: ObservedCall, attempt: number): void;
  dtmf?(call: ObservedCall, digit: string): void;
  /** The assistant called a tool and the call finished (successfully or not). */
  toolCalled?(call: ObservedCall, toolCall: ToolCallEvent): void;
  /** The assistant transferred the call (or tried to: `outcome`). */
  callTransferred?(call: ObservedCall, transfer: CallTransferEvent): void;
  /** Outbound calls with voicemail detection: what it found and did, told just before callEnded. */
  voicemailDetection?(call: ObservedCall, result: VoicemailEvent): void;
  /** The call's Twilio recording started (at the stream's start). */
  recordingStarted?(call: ObservedCall, recording: RecordingStartedEvent): void;
  /** The call's recording could not be started; the call goes on unrecorded. */
  recordingFailed?(call: ObservedCall, error: string): void;
  callEnded?(call: ObservedCall, reason: CallEndReason): void;
}

export type CallEventName = keyof CallObserver;

/** Fans call events out to every subscribed observer. */
@Injectable()
export class CallEvents {
  private readonly logger = new Logger(CallEvents.name);
  private observers: CallObserver[] = [];

  subscribe(observer: CallObserver): () => void {
    this.observers = [...this.observers, observer];
    return () => {
      this.observers = this.observers.filter((o) => o !== observer);
    };
  }

  emit<E extends CallEventName>(event: E, ...args: Parameters<NonNullable<CallObserver[E]>>): void {
    for (const observer of this.observers) {
      const handler = observer[event] as ((...a: unknown[]) => void) | undefined;
      if (!handler) continue;
      try {
        handler.apply(observer, args);
      } catch (error) {
        this.logger.error(`call observer failed on ${event}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
}
