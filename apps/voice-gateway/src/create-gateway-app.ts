import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { TwilioWsAdapter } from '@app/telephony';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { setupOpenApi } from './openapi';

/** Builds the gateway application (used by main.ts and by the end-to-end tests). */
export async function createGatewayApp(): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule, { bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.useWebSocketAdapter(new TwilioWsAdapter(app));
  app.disable('x-powered-by');
  setupOpenApi(app);
  return app;
}
