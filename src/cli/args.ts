/** Argument helpers shared by the commands: every bad value becomes a USAGE (or the file's own) error. */
import * as fs from 'node:fs';
import { parseSalt, Salts } from '../commit/commitments';
import { ErrorCode, ZkmlError } from '../errors';
import { USAGE } from './usage';

export function readJsonFile(file: string, code: 'INPUT_INVALID' | 'RECEIPT_INVALID' | 'ARTIFACT_MISSING'): unknown {
  if (!fs.existsSync(file)) throw new ZkmlError(code, `no file at ${file}`);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ZkmlError(code, `${file} is not valid JSON`, undefined, { cause: err });
  }
}

export function intOption(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new ZkmlError('USAGE', `--${name} takes a whole number`);
  return n;
}

/** A positive number (e.g. --max-error 0.05). */
export function positiveOption(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = v.trim() === '' ? NaN : Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new ZkmlError('USAGE', `--${name} takes a positive number, not ${JSON.stringify(v)}`);
  return n;
}

export function rangeOption(v: string | undefined): [number, number] | undefined {
  if (v === undefined) return undefined;
  const parts = v.split(',').map((x) => (x.trim() === '' ? NaN : Number(x)));
  if (parts.length !== 2 || parts.some((x) => !Number.isFinite(x))) throw new ZkmlError('USAGE', `--input-range takes LO,HI (e.g. -1,1), not ${JSON.stringify(v)}`);
  if (parts[0] >= parts[1]) throw new ZkmlError('USAGE', `--input-range needs LO < HI, got ${v}`);
  return [parts[0], parts[1]];
}

/** --dim NAME=N (repeatable) → { NAME: N }; the settings schema checks the values. */
export function dimsOption(v: string[] | undefined): Record<string, number> | undefined {
  if (v === undefined || v.length === 0) return undefined;
  const dims: Record<string, number> = {};
  for (const item of v) {
    const m = /^([^=]+)=(\d+)$/.exec(item.trim());
    if (!m) throw new ZkmlError('USAGE', `--dim takes NAME=N (e.g. length=8), not ${JSON.stringify(item)}`);
    dims[m[1]] = Number(m[2]);
  }
  return dims;
}

/**
 * node:util parseArgs refuses an option value that starts with a dash as "ambiguous" (`--input-range
 * -2,2`): for the options given, a value that is a negative number (or a list starting with one) is
 * joined to its option as `--input-range=-2,2`, which parseArgs takes.
 */
export function joinNegativeValues(args: string[], options: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const next = args[i + 1];
    if (options.includes(args[i]) && next !== undefined && /^-(\d|\.\d)/.test(next)) {
      out.push(`${args[i]}=${next}`);
      i++;
    } else out.push(args[i]);
  }
  return out;
}

/**
 * Runs a core check of a command-line value (or a call whose failure is one): its OPTION_INVALID,
 * or another code given, is the CLI's USAGE with the same message (exit 2).
 */
export function asUsage<T>(check: () => T, codes: ErrorCode[] = ['OPTION_INVALID']): T {
  const usage = (err: unknown): never => {
    if (err instanceof ZkmlError && codes.includes(err.code)) throw new ZkmlError('USAGE', err.message, err.details, { cause: err });
    throw err;
  };
  try {
    const r = check();
    return (r instanceof Promise ? r.catch(usage) : r) as T;
  } catch (err) {
    return usage(err);
  }
}

export function requirePositional(positionals: string[], what: string): string {
  if (!positionals[0]) throw new ZkmlError('USAGE', `missing ${what}\n${USAGE}`);
  return positionals[0];
}

export function saltOptions(values: { 'input-salt'?: string; 'output-salt'?: string }): Salts {
  return {
    ...(values['input-salt'] !== undefined ? { input: parseSalt(values['input-salt']) } : {}),
    ...(values['output-salt'] !== undefined ? { output: parseSalt(values['output-salt']) } : {}),
  };
}
