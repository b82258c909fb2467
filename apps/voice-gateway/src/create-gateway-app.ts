import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Server } from 'node:http';
import type { GatewayConfig } from '@app/config';
import { isAllowedOrigin } from '@app/console';
import { StreamCredentials, TwilioSignatureVerifier, TwilioWsAdapter } from '@app/telephony';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { setupOpenApi } from './openapi';
import { securityWarnings } from './security-warnings';

/** Builds the gateway application from a validated configuration (main.ts and the demo). */
export async function createGatewayApp(config: GatewayConfig): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), { bufferLogs: true });
  configureGatewayApp(app, config);
  return app;
}

/** How often the HTTP server looks for requests past their header or request timeout. */
const CONNECTION_CHECK_INTERVAL_MS = 1000;

/**
 * What the gateway application needs beyond its modules, however it was built (NestFactory in
 * main.ts, Test.createTestingModule in the tests): the logger, the HTTP server's limits, the
 * media-stream WebSocket adapter with its upgrade check, the OpenAPI description, and the
 * start-up warnings about anything left open.
 */
export function configureGatewayApp(app: NestExpressApplication, config: GatewayConfig): void {
  app.useLogger(app.get(Logger));
  limitHttpServer(app.getHttpServer() as Server, config);
  if (config.telephony.trustProxyHeaders) app.set('trust proxy', true);
  const signatures = app.get(TwilioSignatureVerifier);
  const streams = app.get(StreamCredentials);
  const logger = app.get(Logger);
  for (const { level, message } of securityWarnings(config, signatures)) logger[level](message, 'Security');
  // A media stream is either Twilio's (signed upgrade) or the console softphone's (its own token);
  // a browser's must also come from an allowed page.
  app.useWebSocketAdapter(
    new TwilioWsAdapter(app, (request) => {
      if (!isAllowedOrigin(request, config.console.allowedOrigins)) return undefined;
      if (config.console.enabled && streams.isSoftphoneUpgrade(request)) return 'softphone';
      return signatures.isValidUpgrade(request) ? 'twilio' : undefined;
    }),
  );
  app.disable('x-powered-by');
  setupOpenApi(app);
}

/**
 * Requests that never finish (half-open connections) are cut after their header or request
 * timeout, and the server holds at most `maxConnections` sockets, so a flood of them can exhaust
 * neither file descriptors nor memory; live calls keep their sockets.
 */
function limitHttpServer(server: Server, config: GatewayConfig): void {
  server.headersTimeout = config.server.headersTimeoutMs;
  server.requestTimeout = config.server.requestTimeoutMs;
  server.maxConnections = config.server.maxConnections;
  // Read when the server starts listening: how soon a request past its timeout is noticed.
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.min(CONNECTION_CHECK_INTERVAL_MS, config.server.headersTimeoutMs);
}
