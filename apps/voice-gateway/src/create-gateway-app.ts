import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { appConfig } from '@app/config';
import type { AppConfig } from '@app/config';
import { ConsoleTokenService } from '@app/console';
import { TwilioSignatureVerifier, TwilioWsAdapter } from '@app/telephony';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { setupOpenApi } from './openapi';

/** Builds the gateway application (used by main.ts and by the end-to-end tests). */
export async function createGatewayApp(): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule, { bufferLogs: true });
  app.useLogger(app.get(Logger));
  const signatures = app.get(TwilioSignatureVerifier);
  if (!signatures.enabled) {
    const { environment } = app.get<AppConfig>(appConfig.KEY);
    const logger = app.get(Logger);
    const warning =
      'TWILIO SIGNATURE VALIDATION IS OFF: anyone who can reach /incoming-call and /media-stream can run calls on the OpenAI key. ' +
      'Set TWILIO_AUTH_TOKEN (and leave TWILIO_VALIDATE_SIGNATURES unset) to turn it on.';
    if (environment === 'production') logger.error(warning, 'Security');
    else logger.warn(warning, 'Security');
  }
  // A media stream is either Twilio's (signed) or the console softphone's (short-lived console token).
  const consoleTokens = app.get(ConsoleTokenService);
  app.useWebSocketAdapter(
    new TwilioWsAdapter(app, (request) => consoleTokens.isValid(request) || signatures.isValidUpgrade(request)),
  );
  app.disable('x-powered-by');
  setupOpenApi(app);
  return app;
}
