import { writeFileSync } from 'node:fs';
import { mulawToWav, runSimulatedCall } from '@app/simulators';
import { parseCallArguments, USAGE } from './call-options';
import { formatReport } from './report';

/** `npm run call -- [options]`: one simulated Twilio call against a running gateway. */
async function main(): Promise<void> {
  let options;
  try {
    options = parseCallArguments(process.argv.slice(2), process.env);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (options === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  const log = (line: string) => process.stdout.write(`${line}\n`);
  log(`Calling ${options.gatewayUrl}; the caller says ${options.utteranceLabel}`);
  const result = await runSimulatedCall({ ...options, progress: log });
  process.stdout.write(formatReport(result));
  if (options.record) {
    writeFileSync(options.record, mulawToWav(result.assistantAudio));
    log(`assistant audio written to ${options.record}`);
  }
}

main().catch((error) => {
  process.stderr.write(`call failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
