/**
 * Compile and set up a model in one build folder: the service's compile job (run in the compile
 * thread, src/jobs/compile-task.ts). The CLI runs the two stages as separate commands.
 */
import { snarkjs } from '../snark/in-worker';
import { readManifest } from '../formats/artifacts';
import { compileModel } from '../compiler/compile';
import { runSetup } from '../setup/groth16-setup';

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
  /** What the compile assumed (the input range without calibration): the job's result says it too. */
  warnings?: string[];
}

/** Compile then setup; compile counts for 60 % of the progress, setup for 40 %. */
export async function compileAndSetup(
  onnxPath: string,
  buildDir: string,
  opts: { settings?: Record<string, unknown>; calibration?: unknown; cacheDir?: string; onProgress?: (p: CompileProgress) => void; signal?: AbortSignal },
): Promise<CompileSummary> {
  const report = (stage: string, base: number, span: number) => (phase: string, f: number) => opts.onProgress?.({ phase: `${stage}: ${phase}`, percent: Math.round((base + span * f) * 100) });
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
    ...(c.report.warnings ? { warnings: c.report.warnings } : {}),
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
