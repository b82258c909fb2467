import 'reflect-metadata';
import { createCallRecordStore } from '@app/call-records';
import { InvalidEnvironmentError, loadGatewayConfig, withDotEnv } from '@app/config';
import type { GatewayConfig } from '@app/config';

/** Applies the call-record migrations and exits (e.g. a Kubernetes Job before a rollout). */
async function main(): Promise<void> {
  let config: GatewayConfig;
  try {
    config = loadGatewayConfig(withDotEnv(process.env));
  } catch (error) {
    if (error instanceof InvalidEnvironmentError) {
      process.stderr.write(`cannot migrate. ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const store = createCallRecordStore(config.callRecords);
  try {
    await store.migrate();
    process.stdout.write(`call-record migrations applied (${store.kind})\n`);
  } finally {
    await store.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`call-record migrations failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
