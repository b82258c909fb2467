import { ConfigType, registerAs } from '@nestjs/config';
import { readEnvironment } from './environment';

export const twilioConfig = registerAs('twilio', () => {
  const env = readEnvironment();
  return {
    accountSid: env.TWILIO_ACCOUNT_SID,
    authToken: env.TWILIO_AUTH_TOKEN,
  };
});
export type TwilioConfig = ConfigType<typeof twilioConfig>;
