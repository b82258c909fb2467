import 'reflect-metadata';
import { appConfig, AppConfig, InvalidEnvironmentError, readEnvironment } from '@app/config';
import { createGatewayApp } from './create-gateway-app';

async function main(): Promise<void> {
  try {
    readEnvironment();
  } catch (error) {
    if (error instanceof InvalidEnvironmentError) {
      process.stderr.write(`voice-gateway cannot start. ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const app = await createGatewayApp();
  // SIGTERM drains live calls (OperationsModule), then the process exits 0; a failed shutdown exits 1.
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  const { port } = app.get<AppConfig>(appConfig.KEY);
  await app.listen(port);
}

process.on('unhandledRejection', (reason) => {
  process.stderr.write(`unhandled rejection: ${reason instanceof Error ? reason.stack : String(reason)}\n`);
});

void main();
