/** The pino logger of the service and workers; API keys never reach the logs. */
import pino, { Logger } from 'pino';

export function createLogger(level: string): Logger {
  return pino({ level, redact: { paths: ['req.headers.authorization', 'req.headers["x-api-key"]'], censor: '[redacted]' } });
}
