import { Injectable } from '@nestjs/common';
import { CallStatusListener } from '@app/telephony';
import type { TwilioCallStatus } from '@app/telephony';
import { CallRecordStore } from './store/call-record.store';

/**
 * Folds Twilio's call status callbacks into the call's record, whether the record has been
 * written yet or not. Pass it to TwilioModule.forRoot({ callStatus }).
 */
@Injectable()
export class TwilioStatusRecorder extends CallStatusListener {
  constructor(private readonly store: CallRecordStore) {
    super();
  }

  onCallStatus(callSid: string, status: TwilioCallStatus): Promise<void> {
    return this.store.saveTwilioStatus(callSid, status);
  }
}
