import { Injectable } from '@nestjs/common';
import { CallStatusListener } from '@app/telephony';
import type { TwilioCallStatus } from '@app/telephony';
import { CallRecordRetention } from './privacy/call-record-retention.service';
import { CallRecordStore } from './store/call-record.store';

/**
 * Folds Twilio's call status callbacks into the call's record, whether the record has been
 * written yet or not. Pass it to TwilioModule.forRoot({ callStatus }). A call erased on request
 * stores nothing more; a recording Twilio reports for it afterwards is erased at once.
 */
@Injectable()
export class TwilioStatusRecorder extends CallStatusListener {
  constructor(
    private readonly store: CallRecordStore,
    private readonly retention: CallRecordRetention,
  ) {
    super();
  }

  async onCallStatus(callSid: string, status: TwilioCallStatus): Promise<void> {
    if (await this.store.saveTwilioStatus(callSid, status)) return;
    const recordingSid = status.recording?.sid;
    if (!recordingSid || status.recording?.status === 'absent') return;
    const erased = await this.retention.eraseRecording(callSid, undefined, recordingSid);
    // Rejecting answers Twilio 503, so a callback Twilio retries gets another attempt.
    if (!erased.ok) throw new Error(`the recording ${recordingSid} of the erased call could not be erased`);
  }
}
