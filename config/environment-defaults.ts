/**
 * Per-environment defaults. The environment is chosen by NODE_ENV (default `local`).
 * Real environment variables always win over these values.
 */
export const DEPLOYMENT_ENVIRONMENTS = ['local', 'development', 'production', 'test'] as const;
export type DeploymentEnvironment = (typeof DEPLOYMENT_ENVIRONMENTS)[number];

const SEED_INSTRUCTIONS =
  'You are a helpful and bubbly AI assistant who loves to chat about anything the user is interested in ' +
  'and is prepared to offer them facts. You have a penchant for dad jokes, owl jokes, and rickrolling ' +
  '– subtly. Always stay positive, but work in a joke when appropriate. You are talking on the phone, ' +
  'so keep your answers short and conversational.';

const shared: Record<string, string> = {
  PORT: '5050',
  OPENAI_REALTIME_URL: 'wss://api.openai.com/v1/realtime',
  OPENAI_REALTIME_MODEL: 'gpt-realtime',
  OPENAI_VOICE: 'alloy',
  ASSISTANT_INSTRUCTIONS: SEED_INSTRUCTIONS,
  ASSISTANT_GREETING: 'Greet the caller warmly in one short sentence and ask how you can help.',
  TWIML_WELCOME_MESSAGE: '',
  VAD_THRESHOLD: '0.5',
  VAD_PREFIX_PADDING_MS: '300',
  VAD_SILENCE_DURATION_MS: '500',
  INPUT_TRANSCRIPTION_MODEL: 'gpt-4o-mini-transcribe',
  PRE_READY_BUFFER_MS: '5000',
  TWILIO_API_BASE_URL: 'https://api.twilio.com',
  END_CALL_ENABLED: 'true',
  TRANSFER_CALL_ENABLED: 'true',
  TOOL_TIMEOUT_MS: '10000',
  DTMF_WINDOW_MS: '1500',
  MAX_CALL_DURATION_S: '3600',
  CALLER_IDLE_TIMEOUT_S: '30',
  DATABASE_SCHEMA: 'public',
  DATA_DIR: 'data',
  CALL_RECORD_CHECKPOINT_MS: '30000',
  CALL_RECORD_RETRY_INITIAL_MS: '1000',
  CALL_RECORD_WEBHOOK_MAX_ATTEMPTS: '8',
  // gpt-realtime list prices (USD per 1M tokens).
  TOKEN_PRICES_USD_PER_MILLION: '{"inputText":4,"inputAudio":32,"cachedInput":0.4,"outputText":16,"outputAudio":64}',
  MEDIA_STREAM_START_TIMEOUT_MS: '10000',
  OPENAI_CONNECT_TIMEOUT_MS: '5000',
  OPENAI_CONNECT_ATTEMPTS: '3',
  OPENAI_MAX_RECONNECTS_PER_CALL: '5',
  FALLBACK_MESSAGE: 'Sorry, our assistant is having trouble right now.',
  DRAIN_TIMEOUT_S: '300',
  CALL_REFUSED_MESSAGE: 'Sorry, we cannot take your call right now. Please call again in a moment. Goodbye.',
  DRAIN_GOODBYE_MESSAGE: 'Sorry, we have to end this call now. Please call again. Goodbye.',
};

export const ENVIRONMENT_DEFAULTS: Record<DeploymentEnvironment, Record<string, string>> = {
  local: { ...shared, LOG_LEVEL: 'info', LOG_FORMAT: 'pretty', CONSOLE_ENABLED: 'true' },
  development: { ...shared, LOG_LEVEL: 'debug', LOG_FORMAT: 'json', CONSOLE_ENABLED: 'true' },
  production: { ...shared, LOG_LEVEL: 'info', LOG_FORMAT: 'json', CONSOLE_ENABLED: 'false' },
  test: { ...shared, LOG_LEVEL: 'silent', LOG_FORMAT: 'json', CONSOLE_ENABLED: 'true' },
};
