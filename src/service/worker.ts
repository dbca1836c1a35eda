/**
 * `zkml worker`: takes jobs from BullMQ (REDIS_URL) and records them in PostgreSQL (DATABASE_URL),
 * reading and writing artifacts in the shared ZKML_ARTIFACTS_DIR. Runs no HTTP server.
 */
import { createLogger } from './log';
import { ZkmlError } from '../errors';
import { loadConfig } from './config';
import { createRuntime } from './runtime';

export async function work(): Promise<number> {
  const config = loadConfig();
  if (!config.redisUrl) throw new ZkmlError('CONFIG_INVALID', 'zkml worker needs REDIS_URL and DATABASE_URL (scale-out mode)');
  const log = createLogger(config.logLevel);
  const rt = await createRuntime(config, log, { runJobs: true });
  log.info({ pid: process.pid, slots: config.proverThreads, queue: config.queueName }, 'zkml worker started');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  log.info('worker stopping: finishing running jobs');
  await rt.close();
  return 0;
}
