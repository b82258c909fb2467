/**
 * Deletes a call's recording where it is stored (e.g. Twilio's Recordings API). Optional: the
 * application provides it under CALL_RECORDING_ERASER when calls are recorded; the retention job and
 * `DELETE /calls/:sid` call it for every record with `recording.sid` before removing the record.
 */
export const CALL_RECORDING_ERASER = Symbol('CALL_RECORDING_ERASER');

export interface CallRecordingEraser {
  /** Resolves once the recording is gone (an already-deleted recording counts as gone); rejects to be retried later. */
  erase(callSid: string, recordingSid: string): Promise<void>;
}

/** The recording a record mentions, when there is one (set by the recording feature). */
export function recordingSidOf(record: unknown): string | undefined {
  const recording = (record as { recording?: { sid?: unknown; deletedAt?: unknown } } | undefined)?.recording;
  return recording && typeof recording.sid === 'string' && recording.deletedAt === undefined ? recording.sid : undefined;
}
