import { readFileSync } from 'node:fs';
import { CALLER_UTTERANCE, loadVoiceAsset, wavToMulaw } from '@app/simulators';
import type { SimulatedCallOptions } from '@app/simulators';

export const USAGE = `Usage: npm run call -- [options]

Dials a running voice gateway exactly as Twilio would: the voice webhook, then the Media Stream.

  --url <base>          gateway base URL (default http://127.0.0.1:5050, or $GATEWAY_URL)
  --wav <file>          what the caller says: any PCM/float/µ-law/A-law WAV, any rate (default: the shipped test utterance)
  --turns <n>           how many times the caller speaks, each after the assistant finished (default 1)
  --barge-in-at <ms>    start speaking this many ms into the assistant's greeting, interrupting it
  --dtmf <d@ms,...>     press keys, e.g. 1@2000,#@2500 (ms after the stream started)
  --record <file.wav>   write everything the assistant said to a WAV file
  --from <number>       caller number (default +15550100001)
  --to <number>         called number (default +15550100002)
  --auth-token <token>  sign the webhook and the stream like Twilio (default $TWILIO_AUTH_TOKEN)
  --account-sid <sid>   the Twilio account the call comes from (default $TWILIO_ACCOUNT_SID, else a random one)
  --api-key <key>       API key for the console transcript feed (default first of $API_KEYS)
  --timeout <ms>        give up on a step after this long (default 20000)
  --help                this text
`;

export interface CliOptions extends Omit<SimulatedCallOptions, 'utterance'> {
  utterance: Buffer;
  utteranceLabel: string;
  record?: string;
}

export function parseCallArguments(argv: string[], env: NodeJS.ProcessEnv): CliOptions | 'help' {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return 'help';
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!match) throw new Error(`unexpected argument ${arg}`);
    const value = match[2] ?? argv[++i];
    if (value === undefined) throw new Error(`--${match[1]} needs a value`);
    values.set(match[1], value);
  }
  const known = ['url', 'wav', 'turns', 'barge-in-at', 'dtmf', 'record', 'from', 'to', 'auth-token', 'account-sid', 'api-key', 'timeout'];
  for (const key of values.keys()) if (!known.includes(key)) throw new Error(`unknown option --${key}`);
  const number = (key: string, min: number): number | undefined => {
    const raw = values.get(key);
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${key} must be a number >= ${min}`);
    return n;
  };
  const wav = values.get('wav');
  const dtmf = (values.get('dtmf') ?? '').split(',').filter(Boolean).map((spec) => {
    const m = /^([0-9*#A-D])@(\d+)$/.exec(spec.trim());
    if (!m) throw new Error(`--dtmf entries look like 5@1500 (digit@ms), got ${spec}`);
    return { digit: m[1], atMs: Number(m[2]) };
  });
  return {
    gatewayUrl: values.get('url') ?? env.GATEWAY_URL ?? 'http://127.0.0.1:5050',
    utterance: wav ? wavToMulaw(readFileSync(wav)) : loadVoiceAsset(CALLER_UTTERANCE.file),
    utteranceLabel: wav ?? `the shipped test utterance ("${CALLER_UTTERANCE.text}")`,
    turns: number('turns', 1),
    bargeInAtMs: number('barge-in-at', 0),
    dtmf,
    record: values.get('record'),
    from: values.get('from'),
    to: values.get('to'),
    authToken: values.get('auth-token') ?? (env.TWILIO_AUTH_TOKEN || undefined),
    accountSid: values.get('account-sid') ?? (env.TWILIO_ACCOUNT_SID || undefined),
    // The first key, without its scopes (`key:console` → `key`).
    apiKey: values.get('api-key') ?? (firstApiKey(env.API_KEYS) || undefined),
    stepTimeoutMs: number('timeout', 100),
  };
}

/** The key of the first API_KEYS entry, its `:scope` suffix dropped (the console feed needs a key with the console scope). */
function firstApiKey(keys: string | undefined): string | undefined {
  const entry = keys?.split(',')[0]?.trim();
  if (!entry) return undefined;
  return entry.replace(/:(?:calls|records|console)(?:\+(?:calls|records|console))*$/, '');
}
