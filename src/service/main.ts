/** `npm start` / `zkml serve`: start the service; SIGINT/SIGTERM close it gracefully. */
import { createLogger } from './log';
import { asZkmlError } from '../errors';
import { loadConfig } from './config';
import { startServer } from './server';

export async function serve(): Promise<number> {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  const server = await startServer(config, log);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'shutting down');
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  return 0;
}

if (require.main === module) {
  serve().then(
    (code) => process.exit(code),
    (err) => {
      const e = asZkmlError(err);
      process.stderr.write(`error ${e.code}: ${e.message}\n`);
      process.exit(1);
    },
  );
}
