import type { Logger } from 'pino';
import type { RealtimeClientEvent } from '@app/realtime';
import type { CallEndReason, CallState } from '../call/call';
import type { CallTransferEvent, ToolCallEvent } from '../events/call-events';
import type { RecentTurn } from '../call/call';

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
  /**
   * Asks the model for a response (`response.create`); `turnInstructions` (a nudge, last words) are
   * added to the session's own instructions, so the persona and the profile's language stay.
   */
  requestResponse(turnInstructions?: string): void;
  /** Tells the call's observers (records, consoles) that a tool ran. */
  reportToolCall(toolCall: ToolCallEvent): void;
  /** Tells the call's observers that the call was transferred (or that a transfer failed). */
  reportTransfer(transfer: CallTransferEvent): void;
  end(reason: CallEndReason, twilioCloseCode?: number): void;
  /**
   * Twilio is being asked to take the call off this stream (new TwiML, or a hang-up), and its `stop`
   * may arrive before its REST answer, looking just like a caller hanging up. Until `settle()` is
   * called, a stream that ends does not end the call: the call goes quiet and waits (at most
   * TWILIO_ANSWER_GRACE_MS) for the answer to tell what happened. `settle()` returns how the stream
   * ended meanwhile (undefined: it did not); the caller of `settle` then ends the call itself.
   */
  awaitTwilio(): () => CallEndReason | undefined;
  /** Stops the assistant at once, unheard (an answering machine answered). */
  hush?(): void;
  /** `inbound` or `outbound` (chosen with the profile at `start`). */
  readonly direction: 'inbound' | 'outbound';
  /** The public base URL Twilio reached this call's stream at (for callback URLs); undefined: unknown. */
  readonly callbackBaseUrl?: string;
  /** True while the caller is on hold (warm transfer). */
  readonly onHold: boolean;
  startHold(): void;
  stopHold(): void;
  recentTurns(): readonly RecentTurn[];
  /** An out-of-band text response over the conversation (not added to it); undefined when none came in `timeoutMs`. */
  requestSideText(instructions: string, timeoutMs: number): Promise<string | undefined>;
}
