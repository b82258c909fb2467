import { describe, expect, it } from 'vitest';
import { ENVIRONMENT_DEFAULTS } from './environment-defaults';
import { InvalidEnvironmentError, loadGatewayConfig, readEnvironment } from './environment';

const REAL_LOOKING_KEY = 'sk-proj-0123456789abcdefghijklmnop';
const REAL_LOOKING_TOKEN = '0123456789abcdef0123456789abcdef';
/** Production needs shared records (or SINGLE_REPLICA=true): the tests below that are about something else give it. */
const DATABASE_URL = 'postgres://gateway@db.internal:5432/voice';
/** Production needs its public URL: stream and callback URLs are never built from request headers there. */
const PUBLIC_URL = 'https://voice.example.com';

/** Runs readEnvironment and returns the InvalidEnvironmentError it throws. */
function problemsOf(source: NodeJS.ProcessEnv): InvalidEnvironmentError {
  try {
    readEnvironment(source);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidEnvironmentError);
    return error as InvalidEnvironmentError;
  }
  throw new Error('expected readEnvironment to throw');
}

/** The variable names an error complains about. */
const offending = (error: InvalidEnvironmentError) => error.problems.map((p) => p.split(':')[0]).sort();

describe('readEnvironment', () => {
  it('uses the local defaults when NODE_ENV is not set', () => {
    const env = readEnvironment({});
    expect(env.NODE_ENV).toBe('local');
    expect(env.PORT).toBe(5050);
    expect(env.LOG_LEVEL).toBe('info');
    expect(env.LOG_FORMAT).toBe('pretty');
    expect(env.OPENAI_REALTIME_URL).toBe('wss://api.openai.com/v1/realtime');
    expect(env.OPENAI_REALTIME_MODEL).toBe('gpt-realtime-2.1');
    expect(env.INPUT_TRANSCRIPTION_MODEL).toBe('gpt-transcribe');
    expect(env.VAD_THRESHOLD).toBe(0.5);
    expect(env.VAD_SILENCE_DURATION_MS).toBe(500);
    expect(env.PRE_READY_BUFFER_MS).toBe(5000);
    expect(env.OPENAI_API_KEY).toBeUndefined();
    expect(env.PUBLIC_URL).toBeUndefined();
  });

  it.each([
    ['local', 'info', 'pretty'],
    ['development', 'debug', 'json'],
    ['test', 'silent', 'json'],
    ['production', 'info', 'json'],
  ] as const)('applies the %s defaults', (nodeEnv, level, format) => {
    const env = readEnvironment({ NODE_ENV: nodeEnv, OPENAI_API_KEY: REAL_LOOKING_KEY, TWILIO_AUTH_TOKEN: REAL_LOOKING_TOKEN, DATABASE_URL, PUBLIC_URL });
    expect(env.NODE_ENV).toBe(nodeEnv);
    expect(env.LOG_LEVEL).toBe(level);
    expect(env.LOG_FORMAT).toBe(format);
    expect(env.ASSISTANT_GREETING).toBe(ENVIRONMENT_DEFAULTS[nodeEnv].ASSISTANT_GREETING);
  });

  it('lets the real environment win over the defaults, converting numbers', () => {
    const env = readEnvironment({
      NODE_ENV: 'development',
      OPENAI_API_KEY: REAL_LOOKING_KEY,
      GATEWAY_SIGNING_SECRET: 'a-development-signing-secret-0123456789',
      PORT: '8080',
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'pretty',
      OPENAI_VOICE: 'marin',
      VAD_THRESHOLD: '0.72',
      PUBLIC_URL: 'https://voice.example.com',
      // An empty greeting is meaningful: the caller speaks first.
      ASSISTANT_GREETING: '',
    });
    expect(env.PORT).toBe(8080);
    expect(env.LOG_LEVEL).toBe('warn');
    expect(env.LOG_FORMAT).toBe('pretty');
    expect(env.OPENAI_VOICE).toBe('marin');
    expect(env.VAD_THRESHOLD).toBe(0.72);
    expect(env.PUBLIC_URL).toBe('https://voice.example.com');
    expect(env.ASSISTANT_GREETING).toBe('');
  });

  it('treats an empty PUBLIC_URL as unset', () => {
    expect(readEnvironment({ PUBLIC_URL: '' }).PUBLIC_URL).toBeUndefined();
  });

  it('names every offending variable in one error', () => {
    const error = problemsOf({
      NODE_ENV: 'local',
      PORT: 'eighty',
      VAD_THRESHOLD: '1.5',
      OPENAI_REALTIME_URL: 'https://api.openai.com/v1/realtime',
    });
    expect(offending(error)).toEqual(['OPENAI_REALTIME_URL', 'PORT', 'VAD_THRESHOLD']);
    expect(error.message).toContain('3 problems');
    for (const name of ['PORT', 'VAD_THRESHOLD', 'OPENAI_REALTIME_URL']) expect(error.message).toContain(name);
  });

  it.each([
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['LOG_LEVEL', 'verbose'],
    ['LOG_FORMAT', 'xml'],
    ['PUBLIC_URL', 'https://voice.example.com/'],
    ['PUBLIC_URL', 'ftp://voice.example.com'],
    ['VAD_SILENCE_DURATION_MS', '12.5'],
    ['PRE_READY_BUFFER_MS', 'lots'],
  ])('rejects %s=%s', (name, value) => {
    expect(offending(problemsOf({ [name]: value }))).toEqual([name]);
  });

  it('rejects blank numeric variables instead of reading them as 0', () => {
    const error = problemsOf({ PORT: '', VAD_THRESHOLD: ' ' });
    expect(offending(error)).toEqual(['PORT', 'VAD_THRESHOLD']);
  });

  it('rejects an unknown NODE_ENV, naming it', () => {
    expect(offending(problemsOf({ NODE_ENV: 'staging' }))).toContain('NODE_ENV');
  });

  it('refuses pretty logs in production (the image has no pretty-printer)', () => {
    const production = { NODE_ENV: 'production', DATABASE_URL, OPENAI_API_KEY: REAL_LOOKING_KEY, TWILIO_AUTH_TOKEN: REAL_LOOKING_TOKEN, PUBLIC_URL };
    expect(offending(problemsOf({ ...production, LOG_FORMAT: 'pretty' }))).toEqual(['LOG_FORMAT']);
    expect(readEnvironment({ ...production, LOG_FORMAT: 'json' }).LOG_FORMAT).toBe('json');
  });

  it('requires OPENAI_API_KEY in production', () => {
    const error = problemsOf({ NODE_ENV: 'production', DATABASE_URL, TWILIO_AUTH_TOKEN: REAL_LOOKING_TOKEN, PUBLIC_URL });
    expect(offending(error)).toEqual(['OPENAI_API_KEY']);
    expect(error.message).toContain('OPENAI_API_KEY');
  });

  it('treats an empty OPENAI_API_KEY as missing in production', () => {
    expect(offending(problemsOf({ NODE_ENV: 'production', DATABASE_URL, OPENAI_API_KEY: '', TWILIO_AUTH_TOKEN: REAL_LOOKING_TOKEN, PUBLIC_URL }))).toEqual(['OPENAI_API_KEY']);
  });

  it('accepts production with a real-looking key', () => {
    expect(readEnvironment({ NODE_ENV: 'production', DATABASE_URL, OPENAI_API_KEY: REAL_LOOKING_KEY, TWILIO_AUTH_TOKEN: REAL_LOOKING_TOKEN, PUBLIC_URL }).OPENAI_API_KEY).toBe(REAL_LOOKING_KEY);
  });

  it('runs locally without a key (the embedded simulator needs none)', () => {
    expect(() => readEnvironment({ NODE_ENV: 'local' })).not.toThrow();
    expect(() => readEnvironment({ NODE_ENV: 'local', OPENAI_API_KEY: '' })).not.toThrow();
  });

  it('never puts secret values in the error message', () => {
    const secrets = {
      OPENAI_API_KEY: 'sk-tooShortSecret',
      TWILIO_AUTH_TOKEN: 'tokSecret42',
      TWILIO_ACCOUNT_SID: 'ACsecretButNotHex',
    };
    const error = problemsOf({ NODE_ENV: 'production', DATABASE_URL, ...secrets, PUBLIC_URL, PORT: 'bad' });

    expect(offending(error)).toEqual(['OPENAI_API_KEY', 'PORT', 'TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN']);
    for (const value of Object.values(secrets)) {
      expect(error.message).not.toContain(value);
      expect(error.problems.join('\n')).not.toContain(value);
    }
  });

  it('validates the agent variables and names each bad one', () => {
    const env = readEnvironment({ TWILIO_PHONE_NUMBER: '+15550009999', TRANSFER_PHONE_NUMBER: '+15557654321, +15557654322' });
    expect(env.END_CALL_ENABLED).toBe('true');
    expect(env.TOOL_TIMEOUT_MS).toBe(10000);
    expect(env.DTMF_WINDOW_MS).toBe(1500);
    const error = problemsOf({
      TWILIO_PHONE_NUMBER: '5550009999',
      TRANSFER_PHONE_NUMBER: '+15557654321,nope',
      END_CALL_ENABLED: 'yes',
      TOOL_TIMEOUT_MS: '5',
      DTMF_WINDOW_MS: '-1',
    });
    expect(offending(error)).toEqual(['DTMF_WINDOW_MS', 'END_CALL_ENABLED', 'TOOL_TIMEOUT_MS', 'TRANSFER_PHONE_NUMBER', 'TWILIO_PHONE_NUMBER']);
  });

  it('requires OPENAI_API_KEY everywhere but local, which alone has the embedded simulator', () => {
    const secret = { GATEWAY_SIGNING_SECRET: 'a-shared-signing-secret-0123456789abc' };
    expect(offending(problemsOf({ NODE_ENV: 'development', ...secret }))).toEqual(['OPENAI_API_KEY']);
    expect(offending(problemsOf({ NODE_ENV: 'test', ...secret }))).toEqual(['OPENAI_API_KEY']);
    expect(readEnvironment({ NODE_ENV: 'local' }).OPENAI_API_KEY).toBeUndefined();
  });

  it('names a bad ASSISTANT_PROFILES in the one start-up error, and reads an empty MAX_CONCURRENT_CALLS as unset', () => {
    const error = problemsOf({ ASSISTANT_PROFILES: '{not json', PORT: 'x' });
    expect(error.problems.some((p) => p.startsWith('ASSISTANT_PROFILES'))).toBe(true);
    expect(error.problems.some((p) => p.startsWith('PORT'))).toBe(true);
    expect(readEnvironment({ MAX_CONCURRENT_CALLS: '' }).MAX_CONCURRENT_CALLS).toBeUndefined();
  });

  it('refuses production without TWILIO_AUTH_TOKEN unless validation is switched off explicitly', () => {
    const secret = { GATEWAY_SIGNING_SECRET: 'a-shared-signing-secret-0123456789abc' };
    const error = problemsOf({ NODE_ENV: 'production', DATABASE_URL, OPENAI_API_KEY: REAL_LOOKING_KEY, PUBLIC_URL, ...secret });
    expect(offending(error)).toEqual(['TWILIO_AUTH_TOKEN']);
    expect(error.message).toContain('TWILIO_VALIDATE_SIGNATURES=false');
    expect(offending(problemsOf({ NODE_ENV: 'production', DATABASE_URL, OPENAI_API_KEY: REAL_LOOKING_KEY, PUBLIC_URL, ...secret, TWILIO_VALIDATE_SIGNATURES: 'true' }))).toEqual(['TWILIO_AUTH_TOKEN']);
    const off = readEnvironment({ NODE_ENV: 'production', DATABASE_URL, OPENAI_API_KEY: REAL_LOOKING_KEY, PUBLIC_URL, ...secret, TWILIO_VALIDATE_SIGNATURES: 'false' });
    expect(off.TWILIO_VALIDATE_SIGNATURES).toBe('false');
  });

  it('rejects a TWILIO_VALIDATE_SIGNATURES that is not true or false, and a FALLBACK_PHONE_NUMBER that is not E.164', () => {
    expect(offending(problemsOf({ TWILIO_VALIDATE_SIGNATURES: 'no' }))).toEqual(['TWILIO_VALIDATE_SIGNATURES']);
    expect(offending(problemsOf({ FALLBACK_PHONE_NUMBER: '555-1234' }))).toEqual(['FALLBACK_PHONE_NUMBER']);
    expect(readEnvironment({ FALLBACK_PHONE_NUMBER: '+15551234567' }).FALLBACK_PHONE_NUMBER).toBe('+15551234567');
  });

  describe('several replicas (records, Redis, capacity)', () => {
    const production = { NODE_ENV: 'production', OPENAI_API_KEY: REAL_LOOKING_KEY, TWILIO_AUTH_TOKEN: REAL_LOOKING_TOKEN, PUBLIC_URL };

    it('refuses production on the embedded store unless told it runs as a single replica', () => {
      const error = problemsOf(production);
      expect(offending(error)).toEqual(['DATABASE_URL']);
      expect(error.message).toContain('SINGLE_REPLICA=true');
      expect(readEnvironment({ ...production, SINGLE_REPLICA: 'true' }).DATABASE_URL).toBeUndefined();
      expect(readEnvironment({ ...production, DATABASE_URL }).SINGLE_REPLICA).toBe('false');
      // The embedded SQLite store stays the zero-setup default everywhere else.
      expect(readEnvironment({}).SINGLE_REPLICA).toBe('true');
      expect(offending(problemsOf({ SINGLE_REPLICA: 'yes' }))).toEqual(['SINGLE_REPLICA']);
    });

    it('takes a redis:// URL and a key prefix', () => {
      const env = readEnvironment({ REDIS_URL: 'rediss://user:secret@cache.internal:6380/0', REDIS_KEY_PREFIX: 'gw-eu:' });
      expect(env.REDIS_URL).toBe('rediss://user:secret@cache.internal:6380/0');
      expect(env.REDIS_KEY_PREFIX).toBe('gw-eu:');
      expect(readEnvironment({}).REDIS_KEY_PREFIX).toBe('voice-gateway:');
      expect(readEnvironment({ REDIS_URL: '' }).REDIS_URL).toBeUndefined();
      expect(offending(problemsOf({ REDIS_URL: 'http://cache:6379', REDIS_KEY_PREFIX: 'has space' }))).toEqual(['REDIS_KEY_PREFIX', 'REDIS_URL']);
    });

    it('gives the stream a quarter of MAX_CONCURRENT_CALLS as headroom by default, and takes a fleet-wide cap', () => {
      const load = (env: NodeJS.ProcessEnv) => loadGatewayConfig({ OPENAI_API_KEY: REAL_LOOKING_KEY, ...env }).operations;
      expect(load({ MAX_CONCURRENT_CALLS: '40' })).toMatchObject({ maxConcurrentCalls: 40, streamHeadroom: 10, fleetMaxConcurrentCalls: undefined });
      expect(load({ MAX_CONCURRENT_CALLS: '1' }).streamHeadroom).toBe(1);
      expect(load({ MAX_CONCURRENT_CALLS: '40', MAX_CONCURRENT_CALLS_HEADROOM: '0', FLEET_MAX_CONCURRENT_CALLS: '100' })).toMatchObject({
        streamHeadroom: 0,
        fleetMaxConcurrentCalls: 100,
      });
      expect(offending(problemsOf({ MAX_CONCURRENT_CALLS_HEADROOM: '-1', FLEET_MAX_CONCURRENT_CALLS: '0' }))).toEqual([
        'FLEET_MAX_CONCURRENT_CALLS',
        'MAX_CONCURRENT_CALLS_HEADROOM',
      ]);
    });
  });

  describe('CONSOLE_ENABLED', () => {
    it('is on in local and off in production by default', () => {
      expect(readEnvironment({}).CONSOLE_ENABLED).toBe('true');
      expect(readEnvironment({ NODE_ENV: 'production', DATABASE_URL, OPENAI_API_KEY: REAL_LOOKING_KEY, TWILIO_AUTH_TOKEN: 'twilio-token-0123456789', PUBLIC_URL }).CONSOLE_ENABLED).toBe('false');
    });

    it('needs API_KEYS when enabled in production, and only then', () => {
      const production = { NODE_ENV: 'production', DATABASE_URL, OPENAI_API_KEY: REAL_LOOKING_KEY, TWILIO_AUTH_TOKEN: 'twilio-token-0123456789', PUBLIC_URL, CONSOLE_ENABLED: 'true' };
      const error = problemsOf(production);
      expect(offending(error)).toEqual(['API_KEYS']);
      expect(error.message).toContain('API_KEYS is required in production when CONSOLE_ENABLED=true');
      expect(readEnvironment({ ...production, API_KEYS: 'console-key-0123456789' }).CONSOLE_ENABLED).toBe('true');
      expect(readEnvironment({ CONSOLE_ENABLED: 'true' }).API_KEYS).toBeUndefined();
    });

    it('accepts only true or false', () => {
      expect(offending(problemsOf({ CONSOLE_ENABLED: 'yes' }))).toEqual(['CONSOLE_ENABLED']);
    });
  });

  it('defaults the drain to 300 s with no call limit, and rejects bad drain and capacity settings', () => {
    const env = readEnvironment({});
    expect(env.DRAIN_TIMEOUT_S).toBe(300);
    expect(env.MAX_CONCURRENT_CALLS).toBeUndefined();
    expect(readEnvironment({ DRAIN_TIMEOUT_S: '2.5', MAX_CONCURRENT_CALLS: '40' })).toMatchObject({ DRAIN_TIMEOUT_S: 2.5, MAX_CONCURRENT_CALLS: 40 });
    const error = problemsOf({ DRAIN_TIMEOUT_S: '-1', MAX_CONCURRENT_CALLS: '0', CALL_REFUSED_MESSAGE: '' });
    expect(offending(error)).toEqual(['CALL_REFUSED_MESSAGE', 'DRAIN_TIMEOUT_S', 'MAX_CONCURRENT_CALLS']);
  });

  describe('closed by default (trust settings)', () => {
    const production = { NODE_ENV: 'production', DATABASE_URL, OPENAI_API_KEY: REAL_LOOKING_KEY, TWILIO_AUTH_TOKEN: REAL_LOOKING_TOKEN };

    it('requires PUBLIC_URL in production, unless proxy headers are trusted explicitly', () => {
      const error = problemsOf(production);
      expect(offending(error)).toEqual(['PUBLIC_URL']);
      expect(error.message).toContain('TRUST_PROXY_HEADERS=true');
      expect(readEnvironment({ ...production, TRUST_PROXY_HEADERS: 'true' }).TRUST_PROXY_HEADERS).toBe('true');
      expect(readEnvironment({ ...production, PUBLIC_URL }).TRUST_PROXY_HEADERS).toBe('false');
    });

    it('requires a signing secret outside local when there is no Twilio auth token to fall back on', () => {
      const development = { NODE_ENV: 'development', OPENAI_API_KEY: REAL_LOOKING_KEY };
      expect(offending(problemsOf(development))).toEqual(['GATEWAY_SIGNING_SECRET']);
      expect(() => readEnvironment({ ...development, TWILIO_AUTH_TOKEN: REAL_LOOKING_TOKEN })).not.toThrow();
      expect(offending(problemsOf({ ...development, GATEWAY_SIGNING_SECRET: 'too-short' }))).toEqual(['GATEWAY_SIGNING_SECRET']);
      expect(() => readEnvironment({ NODE_ENV: 'local' })).not.toThrow();
    });

    it('binds local to 127.0.0.1 unless HOST says otherwise; elsewhere every interface', () => {
      expect(readEnvironment({}).HOST).toBe('127.0.0.1');
      expect(readEnvironment({ HOST: '0.0.0.0' }).HOST).toBe('0.0.0.0');
      expect(readEnvironment({ ...production, PUBLIC_URL }).HOST).toBeUndefined();
    });

    it('checks Twilio signatures whenever a real key or a public URL is set; only the simulator on a laptop goes without', () => {
      const config = (env: NodeJS.ProcessEnv) => loadGatewayConfig(env);
      expect(config({}).telephony.validateSignatures).toBe(false);
      expect(config({ OPENAI_API_KEY: REAL_LOOKING_KEY }).telephony.validateSignatures).toBe(true);
      expect(config({ PUBLIC_URL }).telephony.validateSignatures).toBe(true);
      expect(config({ OPENAI_API_KEY: REAL_LOOKING_KEY, TWILIO_VALIDATE_SIGNATURES: 'false' }).telephony.validateSignatures).toBe(false);
      // And the console's tokens need an API key whenever the key is real.
      expect(config({}).console.requireApiKey).toBe(false);
      expect(config({ OPENAI_API_KEY: REAL_LOOKING_KEY, TWILIO_VALIDATE_SIGNATURES: 'false' }).console.requireApiKey).toBe(true);
    });

    it('reads scoped API keys, keeping unscoped ones (every scope) and keys containing colons working', () => {
      const auth = loadGatewayConfig({ API_KEYS: 'caller-key-0123456789:calls, reader-key-0123456789:records+console, old-key:with:colons-0123' }).auth;
      expect(auth.apiKeys).toEqual([
        { key: 'caller-key-0123456789', scopes: ['calls'] },
        { key: 'reader-key-0123456789', scopes: ['records', 'console'] },
        { key: 'old-key:with:colons-0123', scopes: ['calls', 'records', 'erase', 'console'] },
      ]);
      expect(auth.unscopedKeys).toBe(1);
      expect(readEnvironment({ API_KEYS: 'short:calls-and-more-and-more' }).API_KEYS).toBe('short:calls-and-more-and-more');
      expect(offending(problemsOf({ API_KEYS: 'short-key:calls' }))).toEqual(['API_KEYS']);
    });

    it('reads named transfer destinations, keeping TRANSFER_PHONE_NUMBER working', () => {
      const agent = (env: NodeJS.ProcessEnv) => loadGatewayConfig(env).agent;
      expect(agent({ TRANSFER_DESTINATIONS: 'sales:+15551230000, support:+15551230001' }).transferDestinations).toEqual([
        { name: 'sales', number: '+15551230000' },
        { name: 'support', number: '+15551230001' },
      ]);
      expect(agent({ TRANSFER_PHONE_NUMBER: '+15557654321,+15557654322' }).transferDestinations).toEqual([
        { name: 'default', number: '+15557654321' },
        { name: 'line-2', number: '+15557654322' },
      ]);
      expect(offending(problemsOf({ TRANSFER_DESTINATIONS: 'sales:+1555,Bad Name:+15551230000' }))).toEqual(['TRANSFER_DESTINATIONS']);
      expect(offending(problemsOf({ TRANSFER_DESTINATIONS: 'sales:+15551230000,sales:+15551230001' }))).toEqual(['TRANSFER_DESTINATIONS']);
    });

    it('reads transfer modes: a default, and per destination after the number', () => {
      const agent = (env: NodeJS.ProcessEnv) => loadGatewayConfig(env).agent;
      const warm = agent({ TRANSFER_DESTINATIONS: 'sales:+15551230000,support:+15551230001:warm,billing:+15551230002:any', TRANSFER_MODE: 'blind' });
      expect(warm.transferDestinations).toEqual([
        { name: 'sales', number: '+15551230000' },
        { name: 'support', number: '+15551230001', mode: 'warm' },
        { name: 'billing', number: '+15551230002', mode: 'any' },
      ]);
      expect(warm.transferMode).toBe('blind');
      expect(warm.warmTransfer).toEqual({ holdMessage: 'Please hold for a moment while I reach a colleague.', ringTimeoutS: 25, answerTimeoutS: 8, summaryTimeoutMs: 2000 });
      expect(agent({ TRANSFER_MODE: 'any', TRANSFER_RING_TIMEOUT_S: '40' })).toMatchObject({ transferMode: 'any', warmTransfer: { ringTimeoutS: 40 } });
      expect(offending(problemsOf({ TRANSFER_MODE: 'cold' }))).toEqual(['TRANSFER_MODE']);
      expect(offending(problemsOf({ TRANSFER_DESTINATIONS: 'support:+15551230001:lukewarm' }))).toEqual(['TRANSFER_DESTINATIONS']);
      expect(offending(problemsOf({ TRANSFER_RING_TIMEOUT_S: '2', TRANSFER_SUMMARY_TIMEOUT_MS: 'soon' }))).toEqual(['TRANSFER_RING_TIMEOUT_S', 'TRANSFER_SUMMARY_TIMEOUT_MS']);
    });
  });
});
