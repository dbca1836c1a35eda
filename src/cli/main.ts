/**
 * `zkml`: a thin adapter over the core stages. Success prints what was written and the key figures;
 * failure prints one line `error CODE: message` on stderr and exits non-zero.
 */
import { asZkmlError, ZkmlError } from '../errors';
import { cliEnv } from './env';
import { cliWording } from './progress';
import { USAGE } from './usage';

type Command = (args: string[]) => Promise<void>;

/**
 * Each command's module is loaded when that command runs, not before: together they pull in ethers,
 * solc, snarkjs and onnxruntime (about a second of CPU), and most commands need one or two of them.
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  compile: async () => (await import('./commands/compile')).compileCommand,
  setup: async () => (await import('./commands/setup')).setupCommand,
  ceremony: async () => (await import('./commands/ceremony')).ceremonyCommand,
  prove: async () => (await import('./commands/prove')).proveCommand,
  verify: async () => (await import('./commands/verify')).verifyCommand,
  calldata: async () => (await import('./commands/calldata')).calldataCommand,
  audit: async () => (await import('./commands/audit')).auditCommand,
  commit: async () => (await import('./commands/commit')).commitCommand,
  abi: async () => (await import('./commands/registry')).abiCommand,
  registry: async () => (await import('./commands/registry')).registryCommand,
  serve: async () => (await import('./commands/service')).serveCommand,
  worker: async () => (await import('./commands/service')).workerCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === 'help') {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  const load = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  let debug = false;
  try {
    debug = cliEnv().debug;
    if (!load) throw new ZkmlError('USAGE', `unknown command '${command}'\n${USAGE}`);
    await (
      await load()
    )(rest);
    return 0;
  } catch (err) {
    const e = err instanceof Error && (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ? new ZkmlError('USAGE', err.message, undefined, { cause: err }) : asZkmlError(err);
    process.stderr.write(`error ${e.code}: ${cliWording(e.message.split('\n')[0])}\n`);
    if (debug && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return e.code === 'USAGE' ? 2 : 1;
  }
}
