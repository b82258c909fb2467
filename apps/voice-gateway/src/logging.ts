import type { DynamicModule } from '@nestjs/common';
import type { ServerOptions } from '@app/config';
import { LoggerModule } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';

/** Never logged: credentials and Twilio signatures. Audio payloads are never passed to the logger. */
const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-twilio-signature"]',
  'req.headers["x-api-key"]',
];
/** Fields that carry a caller's (or callee's) phone number: masked unless LOG_CALLER_NUMBERS=true. */
const NUMBER_PATHS = ['from', 'to', 'caller'];

/** `+15551234567` → `+15*******67`: enough to tell calls apart, not enough to call anyone back. */
export function maskPhoneNumber(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  if (value.length <= 6) return '*'.repeat(value.length);
  return value.slice(0, 3) + '*'.repeat(value.length - 5) + value.slice(-2);
}

/** E.164 numbers in a URL's query (Twilio's GET webhooks carry From and To there). */
function maskNumbersInUrl(url: string): string {
  const query = url.indexOf('?');
  if (query === -1) return url;
  return url.slice(0, query) + url.slice(query).replace(/(%2B|\+)(\d{6,15})/gi, (_m, plus: string, digits: string) => plus + maskPhoneNumber(digits));
}

function maskNumbersInQuery(query: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(query).map(([name, value]) => [name, typeof value === 'string' && /^\+?\d{6,15}$/.test(value) ? maskPhoneNumber(value) : value]));
}

/** Structured logs (pino): request ids, redaction, caller numbers masked, no access logs for probes and scrapes. */
export function gatewayLoggerModule(server: ServerOptions): DynamicModule {
  const paths = server.logCallerNumbers ? REDACTED_PATHS : [...REDACTED_PATHS, ...NUMBER_PATHS];
  return LoggerModule.forRoot({
    pinoHttp: {
      level: server.logLevel,
      base: { service: 'voice-gateway' },
      genReqId: (req, res) => {
        const header = req.headers['x-request-id'];
        const id = typeof header === 'string' && header.length <= 128 ? header : randomUUID();
        res.setHeader('x-request-id', id);
        return id;
      },
      redact: { paths, censor: (value: unknown, path: string[]) => (NUMBER_PATHS.includes(path.at(-1)!) ? maskPhoneNumber(value) : '[REDACTED]') },
      ...(server.logCallerNumbers
        ? {}
        : {
            serializers: {
              req: (req: { url?: string; query?: Record<string, unknown> }) => ({
                ...req,
                url: req.url ? maskNumbersInUrl(req.url) : req.url,
                ...(req.query && { query: maskNumbersInQuery(req.query) }),
              }),
            },
          }),
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' || req.url === '/metrics' },
      transport: server.prettyLogs ? { target: 'pino-pretty', options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l' } } : undefined,
    },
  });
}
