import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { CALLER_UTTERANCE, loadVoiceAsset, runSimulatedCall } from '@app/simulators';
import { createGatewayApp } from '../../voice-gateway/src/create-gateway-app';
import { formatReport } from './report';

/**
 * `npm run demo`: starts the gateway on the embedded Realtime simulator (no keys, no network),
 * places one simulated call with the shipped spoken utterance and prints what was said and how fast.
 */
async function main(): Promise<void> {
  process.env.NODE_ENV = 'local';
  delete process.env.OPENAI_API_KEY;
  delete process.env.API_KEYS;
  delete process.env.TWILIO_AUTH_TOKEN;
  delete process.env.PUBLIC_URL;
  process.env.LOG_LEVEL ??= 'warn';
  process.env.CONSOLE_ENABLED = 'true';
  const app = await createGatewayApp();
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
