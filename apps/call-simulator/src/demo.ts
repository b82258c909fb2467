import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { loadGatewayConfig } from '@app/config';
import { CALLER_UTTERANCE, loadVoiceAsset, runSimulatedCall } from '@app/simulators';
import { createGatewayApp } from '../../voice-gateway/src/create-gateway-app';
import { formatReport } from './report';

/**
 * `npm run demo`: starts the gateway on the embedded Realtime simulator (no keys, no network),
 * places one simulated call with the shipped spoken utterance and prints what was said and how fast.
 */
async function main(): Promise<void> {
  const config = loadGatewayConfig({
    ...process.env,
    NODE_ENV: 'local',
    OPENAI_API_KEY: undefined,
    API_KEYS: undefined,
    TWILIO_AUTH_TOKEN: undefined,
    PUBLIC_URL: undefined,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    CONSOLE_ENABLED: 'true',
  });
  const app = await createGatewayApp(config);
  await app.listen(Number(process.env.DEMO_PORT ?? 0), '127.0.0.1');
  const port = (app.getHttpServer().address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  const log = (line: string) => process.stdout.write(`${line}\n`);
  log(`\nvoice-gateway demo: gateway on ${url} (embedded Realtime simulator, console at ${url}/console)`);
  log(`The caller will say: "${CALLER_UTTERANCE.text}"\n`);
  try {
    const result = await runSimulatedCall({ gatewayUrl: url, utterance: loadVoiceAsset(CALLER_UTTERANCE.file), progress: log });
    process.stdout.write(formatReport(result));
    if (result.figures.firstAudioMs === undefined || result.figures.replyLatencyMs.length === 0) throw new Error('the assistant did not answer');
  } finally {
    await app.close();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
