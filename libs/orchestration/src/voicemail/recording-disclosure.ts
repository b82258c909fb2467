import { Injectable } from '@nestjs/common';
import { CallDisclosure, TwilioRestClient } from '@app/telephony';
import type { DisclosedCall } from '@app/telephony';
import { AssistantProfiles } from '../profiles/assistant-profiles.service';

/**
 * The recording disclosure of the call's profile, said before the stream connects (so before the
 * assistant speaks and before the recording, which starts with the stream). Pass it to
 * TwilioModule.forRoot({ disclosure }).
 */
@Injectable()
export class RecordingDisclosure extends CallDisclosure {
  constructor(
    private readonly profiles: AssistantProfiles,
    private readonly twilio: TwilioRestClient,
  ) {
    super();
  }

  disclosureFor(call: DisclosedCall): string | undefined {
    const recording = this.profiles.recordingOf(this.profiles.nameFor({ to: call.to, profile: call.context?.profile }));
    // Only a call that will be recorded is told it is.
    return recording.enabled && this.twilio.isConfigured ? recording.disclosure : undefined;
  }
}
