/**
 * Command line of the model benchmarks: `[--build DIR] [--<name> N]... [--fresh]`. Values are read
 * as numbers here and range-checked by each benchmark; anything else is refused with the usage line.
 */
import * as path from 'node:path';
import { packageRoot } from '../../src/package-root';

export interface BenchArgs<N extends string> {
  /** Default build/bench-<script> in the repository. */
  buildDir: string;
  fresh: boolean;
  numbers: Record<N, number>;
}

/** `script` names the benchmark (dist/bench/<script>.js); `numbers` holds each numeric option's default. */
export function parseBenchArgs<N extends string>(argv: string[], script: string, numbers: Record<N, number>): BenchArgs<N> {
  const args: BenchArgs<N> = { buildDir: path.join(packageRoot(), 'build', `bench-${script}`), fresh: false, numbers: { ...numbers } };
  const names = Object.keys(numbers) as N[];
  const usage = `usage: node dist/bench/${script}.js [--build DIR] ${names.map((n) => `[--${n} N] `).join('')}[--fresh]`;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const name = names.find((n) => a === `--${n}`);
    if (a === '--build' && argv[i + 1]) args.buildDir = path.resolve(argv[++i]);
    else if (name !== undefined && argv[i + 1]) args.numbers[name] = Number(argv[++i]);
    else if (a === '--fresh') args.fresh = true;
    else throw new Error(`unknown argument ${a}; ${usage}`);
  }
  return args;
}
