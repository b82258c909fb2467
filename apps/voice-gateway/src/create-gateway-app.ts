import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { GatewayConfig } from '@app/config';
import { ConsoleTokenService } from '@app/console';
import { TWILIO_ROUTES, TwilioSignatureVerifier, TwilioWsAdapter } from '@app/telephony';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { setupOpenApi } from './openapi';

/** Builds the gateway application from a validated configuration (main.ts and the demo). */
export async function createGatewayApp(config: GatewayConfig): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), { bufferLogs: true });
  configureGatewayApp(app, config);
  return app;
}

/**
 * What the gateway application needs beyond its modules, however it was built (NestFactory in
 * main.ts, Test.createTestingModule in the tests): the logger, the media-stream WebSocket adapter
 * with its upgrade check, and the OpenAPI description.
 */
export function configureGatewayApp(app: NestExpressApplication, config: GatewayConfig): void {
  app.useLogger(app.get(Logger));
  const signatures = app.get(TwilioSignatureVerifier);
  if (!signatures.enabled) {
    const logger = app.get(Logger);
    const warning =
      `TWILIO SIGNATURE VALIDATION IS OFF: anyone who can reach ${TWILIO_ROUTES.incomingCall} and ${TWILIO_ROUTES.mediaStream} can run calls on the OpenAI key. ` +
      'Set TWILIO_AUTH_TOKEN (and leave TWILIO_VALIDATE_SIGNATURES unset) to turn it on.';
    if (config.server.environment === 'production') logger.error(warning, 'Security');
    else logger.warn(warning, 'Security');
  }
  // A media stream is either Twilio's (signed) or the console softphone's (short-lived console token).
  const consoleTokens = app.get(ConsoleTokenService);
  app.useWebSocketAdapter(new TwilioWsAdapter(app, (request) => consoleTokens.isValid(request) || signatures.isValidUpgrade(request)));
  app.disable('x-powered-by');
  setupOpenApi(app);
}
