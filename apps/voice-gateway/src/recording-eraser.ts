import { Global, Module } from '@nestjs/common';
import { CALL_RECORDING_ERASER } from '@app/call-records';
import type { CallRecordingEraser } from '@app/call-records';
import { TwilioRestClient } from '@app/telephony';

/** Deletes call recordings at Twilio (REST `DELETE /2010-04-01/Accounts/{AccountSid}/Recordings/{Sid}.json`); one already gone counts as deleted. */
export function twilioRecordingEraser(twilio: TwilioRestClient): CallRecordingEraser {
  return { erase: (_callSid, recordingSid) => twilio.deleteRecording(recordingSid) };
}

/**
 * Provides CALL_RECORDING_ERASER to the call records (their retention and erasure purge a record's
 * recording before the record itself), through Twilio's REST API.
 */
@Global()
@Module({
  providers: [{ provide: CALL_RECORDING_ERASER, inject: [TwilioRestClient], useFactory: twilioRecordingEraser }],
  exports: [CALL_RECORDING_ERASER],
})
export class TwilioRecordingEraserModule {}
