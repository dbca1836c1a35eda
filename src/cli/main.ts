/**
 * `zkml`: a thin adapter over the core stages. Success prints what was written and the key figures;
 * failure prints one line `error CODE: message` on stderr and exits non-zero.
 */
import { asZkmlError, ZkmlError } from '../errors';
import { auditCommand } from './commands/audit';
import { calldataCommand } from './commands/calldata';
import { ceremonyCommand } from './commands/ceremony';
import { commitCommand } from './commands/commit';
import { compileCommand } from './commands/compile';
import { proveCommand } from './commands/prove';
import { abiCommand, registryCommand } from './commands/registry';
import { serveCommand, workerCommand } from './commands/service';
import { setupCommand } from './commands/setup';
import { verifyCommand } from './commands/verify';
import { cliEnv } from './env';
import { cliWording } from './progress';
import { USAGE } from './usage';

const COMMANDS: Record<string, (args: string[]) => Promise<void>> = {
  compile: compileCommand,
  setup: setupCommand,
  ceremony: ceremonyCommand,
  prove: proveCommand,
  verify: verifyCommand,
  calldata: calldataCommand,
  audit: auditCommand,
  commit: commitCommand,
  abi: abiCommand,
  registry: registryCommand,
  serve: serveCommand,
  worker: workerCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === 'help') {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  const run = COMMANDS[command];
  let debug = false;
  try {
    debug = cliEnv().debug;
    if (!run) throw new ZkmlError('USAGE', `unknown command '${command}'\n${USAGE}`);
    await run(rest);
    return 0;
  } catch (err) {
    const e = err instanceof Error && (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ? new ZkmlError('USAGE', err.message, undefined, { cause: err }) : asZkmlError(err);
    process.stderr.write(`error ${e.code}: ${cliWording(e.message.split('\n')[0])}\n`);
    if (debug && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return e.code === 'USAGE' ? 2 : 1;
  }
}
