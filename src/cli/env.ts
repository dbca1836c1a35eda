/**
 * The CLI's environment, read and checked once when `zkml` starts (src/cli/main.ts); the commands
 * pass what they need down to the core, which never reads process.env. `zkml serve` and
 * `zkml worker` read theirs in src/service/config.ts.
 */
import { ZkmlError } from '../errors';
import { defaultCacheDir } from '../setup/ptau-store';
import { ZkmlMode, zkmlMode } from '../setup/production';

export interface CliEnv {
  /** ZKML_MODE: 'production' refuses dev/unpinned ptau and keys not from a finished ceremony. */
  mode: ZkmlMode;
  /** ZKML_CACHE_DIR, else ~/.cache/zkml: the dev ptau cache. */
  cacheDir: string;
  /** ZKML_DEBUG (any non-empty value): print the stack of a failure after its one line. */
  debug: boolean;
  /** ZKML_QUIET (any non-empty value): no progress lines on stderr. */
  quiet: boolean;
}

/** A bad value is CONFIG_INVALID, naming the variable. */
export function readCliEnv(env: Record<string, string | undefined>): CliEnv {
  let mode: ZkmlMode;
  try {
    mode = zkmlMode(env.ZKML_MODE);
  } catch (err) {
    throw new ZkmlError('CONFIG_INVALID', `invalid environment: ${(err as Error).message}`, undefined, { cause: err });
  }
  return { mode, cacheDir: env.ZKML_CACHE_DIR || defaultCacheDir(), debug: Boolean(env.ZKML_DEBUG), quiet: Boolean(env.ZKML_QUIET) };
}

let current: CliEnv | undefined;

/** This process's CLI environment, read on first use (main reads it first, so a bad value stops every command at once). */
export function cliEnv(): CliEnv {
  current ??= readCliEnv(process.env);
  return current;
}
