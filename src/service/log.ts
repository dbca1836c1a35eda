/** The pino logger of the service and workers; API keys never reach the logs. */
import pino, { DestinationStream, Logger } from 'pino';

/** destination: where the lines go (stdout by default). */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({ level, redact: { paths: ['req.headers.authorization', 'req.headers["x-api-key"]'], censor: '[redacted]' } }, destination);
}
