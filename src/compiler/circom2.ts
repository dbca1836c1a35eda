/**
 * Runs the circom compiler (circom2: circom 2.2.3 built for WASI) on a circuit folder, copies our
 * template library next to generated sources, and reads the r1cs header for constraint counts.
 *
 * circom2 under WASI can open only paths below its working directory and does not follow symlinks,
 * so the caller puts every included file inside workDir (copyTemplateLibrary does that for ours).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ZkmlError } from '../errors';
import { packagePath } from '../package-root';
import { CIRCOM_PEAK_MARK } from './circom-peak-mark';

export interface CompileCircomOptions {
  /** Folder holding mainFile and everything it includes; circom runs with this as its cwd. */
  workDir: string;
  /** The circuit file, relative to workDir (an absolute path inside workDir is accepted). */
  mainFile: string;
  /**
   * O2 (default) folds every linear constraint into the others; O1 keeps them. O2 runs with circom's
   * old simplification heuristics: the new ones did not finish in 2 h on a small CNN, the old ones
   * take ~23 s there and give the same constraint counts.
   */
  optimization?: 'O1' | 'O2';
  /** Output folder relative to workDir (default 'build'). */
  outDir?: string;
  /** The compiler is killed after this long (default 15 minutes; compileModel scales it with the circuit). */
  timeoutMs?: number;
  /**
   * Run circom.wasm on V8's baseline compiler only (--liftoff-only): a small circuit then compiles in
   * about half the time (0.65 s instead of 1.4 s here), a large one about 1.5 times slower. For tests.
   */
  skipOptimizingTier?: boolean;
  /** Kills circom when aborted: a child process would outlive a stopped compile thread. */
  signal?: AbortSignal;
}

export interface CompileCircomResult {
  r1csPath: string;
  wasmPath: string;
  symPath: string;
  /** circom's stdout (statistics), without colour codes. */
  stdout: string;
  /** circom's stderr (warnings), without colour codes. */
  stderr: string;
  ms: number;
  /** circom's peak resident memory (bytes), its WebAssembly heap included; undefined if not reported. */
  peakMemoryBytes?: number;
}

const DEFAULT_TIMEOUT_MS = 15 * 60 * 1000;

function circomCli(): string {
  try {
    return require.resolve('circom2/cli.js');
  } catch (err) {
    throw new ZkmlError('CIRCOM_FAILED', 'the circom2 package is not installed', undefined, { cause: err });
  }
}

export async function compileCircom(options: CompileCircomOptions): Promise<CompileCircomResult> {
  const started = Date.now();
  // realpath: the WASI sandbox compares paths textually and would reject a symlinked cwd.
  const workDir = fs.realpathSync(options.workDir);
  const mainFile = insideWorkDir(workDir, options.mainFile, 'mainFile');
  const outDir = insideWorkDir(workDir, options.outDir ?? 'build', 'outDir');
  fs.mkdirSync(path.join(workDir, outDir), { recursive: true });

  const args = [
    ...(options.skipOptimizingTier ? ['--liftoff-only'] : []),
    '--require',
    path.join(__dirname, 'circom-peak.js'),
    circomCli(),
    mainFile,
    '--r1cs',
    '--wasm',
    '--sym',
    `--${options.optimization ?? 'O2'}`,
    ...((options.optimization ?? 'O2') === 'O2' ? ['--use_old_simplification_heuristics'] : []),
    '-o',
    outDir,
  ];
  const run = await runProcess(process.execPath, args, workDir, options.timeoutMs ?? DEFAULT_TIMEOUT_MS, options.signal);
  const stdout = stripAnsi(run.stdout);
  const { stderr, peakMemoryBytes } = takePeak(stripAnsi(run.stderr));
  const log = `${stdout}\n${stderr}`.trim();
  const peak = peakMemoryBytes === undefined ? {} : { peakMemoryBytes };
  if (run.timedOut) {
    throw new ZkmlError('CIRCOM_FAILED', `circom did not finish within ${run.timeoutMs} ms`, { log, ...peak });
  }
  if (run.code !== 0) {
    throw new ZkmlError('CIRCOM_FAILED', firstErrorLine(stderr, stdout) ?? `circom exited with code ${run.code}`, {
      log,
      ...peak,
    });
  }

  const name = path.basename(mainFile, path.extname(mainFile));
  const out = path.join(workDir, outDir);
  const result: CompileCircomResult = {
    r1csPath: path.join(out, `${name}.r1cs`),
    wasmPath: path.join(out, `${name}_js`, `${name}.wasm`),
    symPath: path.join(out, `${name}.sym`),
    stdout,
    stderr,
    ms: Date.now() - started,
    ...peak,
  };
  for (const file of [result.r1csPath, result.wasmPath, result.symPath]) {
    if (!fs.existsSync(file)) {
      throw new ZkmlError('CIRCOM_FAILED', `circom reported success but did not write ${path.relative(workDir, file)}`, {
        log,
      });
    }
  }
  return result;
}

/**
 * Copies every circuits/*.circom of this repository into destDir, so `include "bits.circom"` resolves
 * there; with circomlib, also the circomlib files commit.circom includes (2 MB of Poseidon constants,
 * so only for circuits that hash).
 */
export function copyTemplateLibrary(destDir: string, withCircomlib = true): string[] {
  const libDir = templateLibraryDir();
  fs.mkdirSync(destDir, { recursive: true });
  const files = fs
    .readdirSync(libDir)
    .filter((f) => f.endsWith('.circom'))
    .sort();
  for (const file of files) {
    // copyFile, not symlink: circom2 under WASI does not follow symlinks.
    fs.copyFileSync(path.join(libDir, file), path.join(destDir, file));
  }
  // circomlib templates our library includes by bare name (commit.circom uses Poseidon).
  const circomlibDir = path.join(path.dirname(require.resolve('circomlib/package.json')), 'circuits');
  if (!withCircomlib) return files;
  for (const file of CIRCOMLIB_FILES) fs.copyFileSync(path.join(circomlibDir, file), path.join(destDir, file));
  return [...files, ...CIRCOMLIB_FILES];
}

/** The circomlib files staged next to ours: pinned by the exact circomlib version in package.json. */
export const CIRCOMLIB_FILES = ['poseidon.circom', 'poseidon_constants.circom'];

/** The package's circuits/ folder (our template library). */
export function templateLibraryDir(): string {
  return packagePath('circuits', 'bits.circom');
}

function insideWorkDir(workDir: string, file: string, what: string): string {
  const rel = path.relative(workDir, path.resolve(workDir, file));
  if (rel === '' && what === 'outDir') return '.';
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
    // circom2 could not open it anyway: WASI preopens only the working directory tree.
    throw new ZkmlError('CIRCOM_FAILED', `${what} ${file} must be inside the work directory ${workDir}`);
  }
  return rel.split(path.sep).join('/');
}

interface ProcessRun {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  timeoutMs: number;
}

function runProcess(cmd: string, args: string[], cwd: string, timeoutMs: number, signal?: AbortSignal): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], signal, killSignal: 'SIGKILL' });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new ZkmlError('CIRCOM_FAILED', `cannot start circom: ${e.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        timedOut,
        timeoutMs,
      });
    });
  });
}

/** Splits circom-peak.ts's line off circom's stderr. */
function takePeak(stderr: string): { stderr: string; peakMemoryBytes?: number } {
  const at = stderr.lastIndexOf(CIRCOM_PEAK_MARK);
  if (at < 0) return { stderr };
  const kib = Number.parseInt(stderr.slice(at + CIRCOM_PEAK_MARK.length), 10);
  const rest = (stderr.slice(0, at) + stderr.slice(at).replace(/^[^\n]*\n?/, '')).trimEnd();
  return { stderr: rest, ...(Number.isFinite(kib) ? { peakMemoryBytes: kib * 1024 } : {}) };
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

function stripAnsi(s: string): string {
  return s.replace(ANSI, '');
}

/** circom's first `error[...]` line plus its source location (the `┌─ "file":line:col` line after it). */
function firstErrorLine(...logs: string[]): string | undefined {
  for (const log of logs) {
    const lines = log.split('\n').map((l) => l.trim());
    const i = lines.findIndex((l) => /^error(\[[A-Z0-9]+\])?:/.test(l));
    if (i >= 0) {
      const loc = lines
        .slice(i + 1, i + 3)
        .map((l) => /"[^"]+":\d+:\d+/.exec(l)?.[0])
        .find((l) => l !== undefined);
      return loc ? `${lines[i]} at ${loc}` : lines[i];
    }
  }
  for (const log of logs) {
    const line = log
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '' && !/^previous errors were found/.test(l));
    if (line) return line;
  }
  return undefined;
}
