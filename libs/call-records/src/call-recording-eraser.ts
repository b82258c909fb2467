/** Injection token of the CallRecordingEraser (provided by the application, e.g. through Twilio's REST API). */
export const CALL_RECORDING_ERASER = Symbol('CALL_RECORDING_ERASER');

/**
 * Deletes a call's recording where it is kept (Twilio), before its record is purged. Rejects when it
 * could not be deleted (the purge is retried later); a recording already gone resolves.
 */
export interface CallRecordingEraser {
  erase(callSid: string, recordingSid: string): Promise<void>;
}
