/**
 * A compile job's work: compile the ONNX model, then its Groth16 setup, in one build folder. It runs
 * as the Piscina task of the compile thread (src/jobs/compile-pool.ts), so ingest, quantization and
 * snarkjs's key generation never hold the service's event loop. The task's MessagePort carries
 * progress to the pool and 'stop' from it; a failure comes back as the outcome's ErrorEnvelope
 * (src/errors.ts), since a thrown ZkmlError would lose its code crossing the thread boundary
 * (structured cloning keeps only an Error's message).
 */
// First: snarkjs must be loaded as on a main thread before anything else requires it (see there).
import { snarkjs } from '../prover/snarkjs-in-worker';
import type { MessagePort } from 'node:worker_threads';
import { readManifest } from '../artifacts';
import { compileModel } from '../compiler/compile';
import { settleTask, TaskOutcome } from '../errors';
import { runSetup } from '../setup/groth16-setup';

export interface CompileTask {
  onnxPath: string;
  buildDir: string;
  settings?: Record<string, unknown>;
  calibration?: unknown;
  /** The dev ptau cache (the service's ZKML_CACHE_DIR). */
  cacheDir?: string;
  /** Sends a TaskMessage per phase; receives 'stop'. */
  port: MessagePort;
}

/** From the pool: kill circom now, the thread is about to be terminated. */
export const STOP = 'stop';
const STOP_SETTLE_MS = 200;

export type TaskMessage = ({ kind: 'progress' } & CompileProgress) | { kind: 'stopped' };

export interface CompileProgress {
  /** e.g. "compile: circom", "setup: zkey new". */
  phase: string;
  /** Of the whole job, compile and setup together: 0..100. */
  percent: number;
}

/** What a finished compile job stores as its result. */
export interface CompileSummary {
  constraints: number;
  publicSignals: number;
  ptauPower: number;
  devSingleContributor: boolean;
  vkSha256: string;
  timings: { compileMs: number; setupMs: number };
}

export type CompileTaskResult = TaskOutcome<CompileSummary>;

/** Compile then setup; compile counts for 60 % of the progress, setup for 40 %. */
async function compileAndSetup(
  onnxPath: string,
  buildDir: string,
  opts: { settings?: Record<string, unknown>; calibration?: unknown; cacheDir?: string; onProgress?: (p: CompileProgress) => void; signal?: AbortSignal },
): Promise<CompileSummary> {
  const report = (stage: string, base: number, span: number) => (phase: string, f: number) =>
    opts.onProgress?.({ phase: `${stage}: ${phase}`, percent: Math.round((base + span * f) * 100) });
  const c = await compileModel(onnxPath, buildDir, {
    settings: opts.settings,
    calibration: opts.calibration,
    onProgress: report('compile', 0, 0.6),
    signal: opts.signal,
  });
  const s = await withSingleThreadCurve(() => runSetup(buildDir, { cacheDir: opts.cacheDir, onProgress: report('setup', 0.6, 0.4) }));
  return {
    constraints: c.constraints,
    publicSignals: c.publicSignals,
    ptauPower: s.power,
    devSingleContributor: s.devSingleContributor,
    vkSha256: readManifest(buildDir).vkSha256!,
    timings: { compileMs: c.timings.totalMs, setupMs: s.timings.totalMs },
  };
}

/**
 * Runs fn with snarkjs single-threaded. A compile is background work: snarkjs's own threads (one per
 * core) take the cores that the event loop and the prover threads need (on 2 cores they doubled the
 * /health p95 during a setup, and made it faster only on an otherwise idle machine: docs/service.md).
 * snarkjs uses the process-wide curve (globalThis.curve_bn128) when there is one, so a
 * single-threaded curve is put there for fn and terminated after; runSetup leaves alone a curve it
 * did not create.
 */
async function withSingleThreadCurve<T>(fn: () => Promise<T>): Promise<T> {
  const g = globalThis as { curve_bn128?: { terminate(): Promise<void> } | null };
  g.curve_bn128 = await snarkjs.curves.getCurveFromName('bn128', { singleThread: true });
  try {
    return await fn();
  } finally {
    const curve = g.curve_bn128;
    g.curve_bn128 = null;
    await curve?.terminate();
  }
}

export default async function compileTask(task: CompileTask): Promise<CompileTaskResult> {
  const post = (m: TaskMessage) => task.port.postMessage(m);
  // circom is a child process: terminating this thread would leave it running, so it is killed first.
  const stop = new AbortController();
  const work = compileAndSetup(task.onnxPath, task.buildDir, {
    settings: task.settings,
    calibration: task.calibration,
    cacheDir: task.cacheDir,
    onProgress: (p) => post({ kind: 'progress', ...p }),
    signal: stop.signal,
  });
  task.port.on('message', (m) => {
    if (m !== STOP) return;
    stop.abort();
    // A killed circom ends the work at once, and this task then returns while the thread lives on to
    // reap it. Otherwise (snarkjs, synchronous code) only terminating the thread stops the work.
    void Promise.race([work.catch(() => undefined), new Promise((r) => setTimeout(r, STOP_SETTLE_MS))]).then(() => post({ kind: 'stopped' }));
  });
  try {
    return await settleTask(() => work);
  } finally {
    task.port.close();
  }
}
