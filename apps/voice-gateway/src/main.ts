import 'reflect-metadata';
import { InvalidEnvironmentError, loadGatewayConfig, withDotEnv } from '@app/config';
import type { GatewayConfig } from '@app/config';
import { createGatewayApp } from './create-gateway-app';

async function main(): Promise<void> {
  let config: GatewayConfig;
  try {
    // A `.env` file in the working directory fills in unset variables in local and development only.
    config = loadGatewayConfig(withDotEnv(process.env));
  } catch (error) {
    if (error instanceof InvalidEnvironmentError) {
      process.stderr.write(`voice-gateway cannot start. ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const app = await createGatewayApp(config);
  // SIGTERM drains live calls (OperationsModule), then the process exits 0; a failed shutdown exits 1.
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  // HOST unset: every interface (local defaults to 127.0.0.1, so a laptop's gateway is not on its network).
  if (config.server.host) await app.listen(config.server.port, config.server.host);
  else await app.listen(config.server.port);
}

process.on('unhandledRejection', (reason) => {
  process.stderr.write(`unhandled rejection: ${reason instanceof Error ? reason.stack : String(reason)}\n`);
});

void main();
