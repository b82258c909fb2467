import type { TestingModuleBuilder } from '@nestjs/testing';
import { getLoggerToken } from 'nestjs-pino';
import pino from 'pino';

/**
 * The log lines of every call (the calls' loggers, from CallOrchestrator's), captured as parsed
 * JSON objects at `debug`: pass `override` as the harness extension's `override`.
 */
export function captureCallLogs(): { lines: Array<Record<string, any>>; override: (builder: TestingModuleBuilder) => TestingModuleBuilder } {
  const lines: Array<Record<string, any>> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return {
    lines,
    override: (builder) => builder.overrideProvider(getLoggerToken('Call')).useValue({ logger }),
  };
}
