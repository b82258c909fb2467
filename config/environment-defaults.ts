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
  DRAIN_TIMEOUT_S: '300',
  CALL_REFUSED_MESSAGE: 'Sorry, we cannot take your call right now. Please call again in a moment. Goodbye.',
  DRAIN_GOODBYE_MESSAGE: 'Sorry, we have to end this call now. Please call again. Goodbye.',
};

export const ENVIRONMENT_DEFAULTS: Record<DeploymentEnvironment, Record<string, string>> = {
  local: { ...shared, LOG_LEVEL: 'info', LOG_FORMAT: 'pretty' },
  development: { ...shared, LOG_LEVEL: 'debug', LOG_FORMAT: 'json' },
  production: { ...shared, LOG_LEVEL: 'info', LOG_FORMAT: 'json' },
  test: { ...shared, LOG_LEVEL: 'silent', LOG_FORMAT: 'json' },
};
