import { IsIn, IsObject, IsOptional, IsString, Matches, MaxLength } from 'class-validator';

const E164 = /^\+[1-9]\d{6,14}$/;

/** Body of `POST /calls`. */
export class CreateOutboundCallDto {
  @Matches(E164, { message: 'to must be an E.164 number such as +15551234567' })
  to: string;

  /** Defaults to TWILIO_PHONE_NUMBER. */
  @IsOptional() @Matches(E164, { message: 'from must be an E.164 number such as +15551234567' })
  from?: string;

  /** Assistant profile to run; default: the default assistant. */
  @IsOptional() @IsString() @MaxLength(64)
  profile?: string;

  /** Context for the assistant, interpolated into its instructions as `{{name}}` and given to tools. */
  @IsOptional() @IsObject()
  variables?: Record<string, string>;

  /** Twilio answering-machine detection, passed through (a profile with voicemail detection by Twilio asks for asynchronous DetectMessageEnd itself). */
  @IsOptional() @IsIn(['Enable', 'DetectMessageEnd'])
  machineDetection?: 'Enable' | 'DetectMessageEnd';
}
