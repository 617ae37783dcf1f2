import { pino, type Logger } from 'pino';
import { logCorrelation } from './telemetry/context.ts';

export type { Logger };

/** Paths whose values never reach a log line. */
export const REDACTED_PATHS = [
  'password',
  '*.password',
  '*.*.password',
  'token',
  '*.token',
  'accessToken',
  '*.accessToken',
  'refreshToken',
  '*.refreshToken',
  '*.*.refreshToken',
  'secret',
  '*.secret',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-shopgraph-assertion"]',
  'headers.authorization',
  'variables.password',
  'variables.refreshToken',
  'variables.input.password',
];

/**
 * Creates the service logger: JSON lines, secrets redacted, service name on every line, and the current
 * `trace_id`, `span_id` and `request_id` on every line written while serving a request or running a job.
 */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info', destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    name: service,
    level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin: logCorrelation,
  };
  return destination ? pino(options, destination) : pino(options);
}
