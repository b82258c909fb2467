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

/** Structured logs (pino): request ids, redaction, no access logs for probes and scrapes. */
export function gatewayLoggerModule(server: ServerOptions): DynamicModule {
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
      redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' || req.url === '/metrics' },
      transport: server.prettyLogs ? { target: 'pino-pretty', options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l' } } : undefined,
    },
  });
}
