import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { InvalidEnvironmentError, loadGatewayConfig, readEnvironment } from './environment';

function problemsOf(source: NodeJS.ProcessEnv): string[] {
  try {
    readEnvironment(source);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidEnvironmentError);
    return (error as InvalidEnvironmentError).problems;
  }
  throw new Error('expected readEnvironment to throw');
}

const SECRET = 'lookup-secret-0123456789';

describe('assistant lookup configuration', () => {
  it('is off by default, with an 800 ms timeout when on', () => {
    expect(loadGatewayConfig({}).assistant.lookup).toBeUndefined();
    expect(loadGatewayConfig({ ASSISTANT_LOOKUP_URL: 'http://127.0.0.1:8787/lookup', ASSISTANT_LOOKUP_SECRET: SECRET }).assistant.lookup).toEqual({
      url: 'http://127.0.0.1:8787/lookup',
      secret: SECRET,
      timeoutMs: 800,
    });
  });

  it('needs the secret, and https outside local unless the backend is on loopback; never echoes the secret', () => {
    expect(problemsOf({ ASSISTANT_LOOKUP_URL: 'https://crm.example.com/lookup' }).join('\n')).toMatch(/ASSISTANT_LOOKUP_SECRET is required/);
    const plain = problemsOf({ NODE_ENV: 'test', ASSISTANT_LOOKUP_URL: 'http://crm.example.com/lookup', ASSISTANT_LOOKUP_SECRET: SECRET });
    expect(plain.join('\n')).toMatch(/ASSISTANT_LOOKUP_URL must be https/);
    expect(plain.join('\n')).not.toContain(SECRET);
    const deployed = { NODE_ENV: 'test', OPENAI_API_KEY: 'sk-test-0123456789abcdefghijklmnop', GATEWAY_SIGNING_SECRET: 'signing-secret-0123456789abcdef0123' };
    expect(readEnvironment({ ...deployed, ASSISTANT_LOOKUP_URL: 'http://[::1]:9/lookup', ASSISTANT_LOOKUP_SECRET: SECRET }).ASSISTANT_LOOKUP_URL).toBe('http://[::1]:9/lookup');
    expect(readEnvironment({ ...deployed, ASSISTANT_LOOKUP_URL: 'https://crm.example.com/lookup', ASSISTANT_LOOKUP_SECRET: SECRET }).ASSISTANT_LOOKUP_URL).toBeDefined();
    expect(readEnvironment({ NODE_ENV: 'local', ASSISTANT_LOOKUP_URL: 'http://crm.internal:8787/lookup', ASSISTANT_LOOKUP_SECRET: SECRET }).ASSISTANT_LOOKUP_URL).toBeDefined();
    expect(problemsOf({ ASSISTANT_LOOKUP_URL: 'ftp://x', ASSISTANT_LOOKUP_SECRET: SECRET, ASSISTANT_LOOKUP_TIMEOUT_MS: '10' }).join('\n')).toMatch(/ASSISTANT_LOOKUP_URL[\s\S]*ASSISTANT_LOOKUP_TIMEOUT_MS|ASSISTANT_LOOKUP_TIMEOUT_MS[\s\S]*ASSISTANT_LOOKUP_URL/);
  });
});

describe('privacy configuration', () => {
  it('keeps records forever and redacts nothing by default', () => {
    const records = loadGatewayConfig({}).callRecords;
    expect(records.retention).toBeUndefined();
    expect(records.redaction).toEqual([]);
  });

  it('reads the retention period, scope and interval, and the redaction kinds', () => {
    const records = loadGatewayConfig({ CALL_RECORD_RETENTION_DAYS: '30', CALL_RECORD_RETENTION_SCOPE: 'record', CALL_RECORD_RETENTION_INTERVAL_MINUTES: '15', TRANSCRIPT_REDACTION: 'email, card' }).callRecords;
    expect(records.retention).toEqual({ days: 30, scope: 'record', intervalMs: 15 * 60_000, initialDelayMs: 30_000 });
    expect(records.redaction).toEqual(['card', 'email']);
    expect(loadGatewayConfig({ CALL_RECORD_RETENTION_DAYS: '1' }).callRecords.retention?.scope).toBe('transcript');
    expect(loadGatewayConfig({ TRANSCRIPT_REDACTION: 'all' }).callRecords.redaction).toEqual(['card', 'email', 'phone']);
  });

  it('refuses bad values, naming the variable', () => {
    const problems = problemsOf({ CALL_RECORD_RETENTION_DAYS: '0', CALL_RECORD_RETENTION_SCOPE: 'everything', CALL_RECORD_RETENTION_INTERVAL_MINUTES: '0', TRANSCRIPT_REDACTION: 'card,ssn' }).join('\n');
    for (const name of ['CALL_RECORD_RETENTION_DAYS', 'CALL_RECORD_RETENTION_SCOPE', 'CALL_RECORD_RETENTION_INTERVAL_MINUTES', 'TRANSCRIPT_REDACTION']) expect(problems).toContain(name);
  });
});
