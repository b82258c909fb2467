import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withDotEnv } from './dotenv';
import { InvalidEnvironmentError, loadGatewayConfig } from './environment';

const KEY_IN_FILE = 'sk-from-dot-env-0123456789abcdef';

/** A directory holding a `.env` file with these lines. */
function directoryWithDotEnv(lines: string[]): string {
  const directory = mkdtempSync(join(tmpdir(), 'dotenv-'));
  writeFileSync(join(directory, '.env'), lines.join('\n') + '\n');
  return directory;
}

describe('.env files', () => {
  const directory = directoryWithDotEnv([
    '# keys a newcomer pastes in, as in Twilio\'s samples',
    `OPENAI_API_KEY=${KEY_IN_FILE}`,
    'OPENAI_VOICE="marin"',
    'GATEWAY_SIGNING_SECRET=a-signing-secret-from-dot-env-0123456789',
    'PORT=6060',
    'NODE_ENV=production',
  ]);

  it.each(['local', 'development', undefined])('are read when NODE_ENV is %s, filling in what the environment does not set', (nodeEnv) => {
    const env = withDotEnv({ NODE_ENV: nodeEnv, PORT: '7070' }, directory);
    expect(env.OPENAI_API_KEY).toBe(KEY_IN_FILE);
    expect(env.OPENAI_VOICE).toBe('marin');
    // Real environment variables win.
    expect(env.PORT).toBe('7070');
    // NODE_ENV is never taken from the file.
    expect(env.NODE_ENV).toBe(nodeEnv);
  });

  it.each(['production', 'test'])('are never read when NODE_ENV is %s', (nodeEnv) => {
    expect(withDotEnv({ NODE_ENV: nodeEnv }, directory)).toEqual({ NODE_ENV: nodeEnv });
  });

  it('change nothing when there is no .env file', () => {
    const source = { NODE_ENV: 'local', PORT: '7070' };
    expect(withDotEnv(source, mkdtempSync(join(tmpdir(), 'no-dotenv-')))).toEqual(source);
  });

  it('configure the gateway: development starts with the OpenAI key from .env', () => {
    expect(() => loadGatewayConfig({ NODE_ENV: 'development' })).toThrow(InvalidEnvironmentError);
    const config = loadGatewayConfig(withDotEnv({ NODE_ENV: 'development' }, directory));
    expect(config.realtime.apiKey).toBe(KEY_IN_FILE);
    expect(config.assistant.voice).toBe('marin');
    expect(config.server.port).toBe(6060);
  });
});
