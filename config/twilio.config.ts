import { ConfigType, registerAs } from '@nestjs/config';
import { readEnvironment } from './environment';

export const twilioConfig = registerAs('twilio', () => {
  const env = readEnvironment();
  return {
    accountSid: env.TWILIO_ACCOUNT_SID,
    authToken: env.TWILIO_AUTH_TOKEN,
    /** False only when TWILIO_VALIDATE_SIGNATURES=false; validation runs whenever a token is set. */
    validateSignatures: env.TWILIO_VALIDATE_SIGNATURES !== 'false',
    apiBaseUrl: env.TWILIO_API_BASE_URL.replace(/\/+$/, ''),
    /** Default `from` for outbound calls. */
    ...(env.TWILIO_PHONE_NUMBER ? { phoneNumber: env.TWILIO_PHONE_NUMBER } : {}),
  };
});
export type TwilioConfig = ConfigType<typeof twilioConfig>;
