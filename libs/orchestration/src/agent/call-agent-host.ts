import type { Logger } from 'pino';
import type { RealtimeClientEvent } from '@app/realtime';
import type { CallEndReason, CallState } from '../call/call';

/** The part of a Call its agent collaborators use (implemented by Call). */
export interface CallAgentHost {
  readonly state: CallState;
  readonly callSid?: string;
  readonly from?: string;
  readonly to?: string;
  readonly assistantSpeaking: boolean;
  readonly responseActive: boolean;
  readonly log: Logger;
  responseHadAudio(responseId: string): boolean;
  sendToModel(event: RealtimeClientEvent): void;
  end(reason: CallEndReason, twilioCloseCode?: number): void;
}
