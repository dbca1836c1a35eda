// A require, not an import: the curve build must see a change to the module object itself.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const os: typeof import('node:os') = require('node:os');
import * as path from 'node:path';
import { addBatchAffinePlugin, BATCH_AFFINE_CHUNK, SIGNED_WINDOW, WasmModule } from './batch-affine-wasm';
import { addCosetFftPlugin, ODD_COSET_FFT } from './coset-fft-wasm';
import type { Snarkjs, SnarkjsCurve } from './snarkjs';

/**
 * snarkjs keeps one multi-threaded bn128 curve per process (globalThis.curve_bn128) and never
 * terminates it, and its worker threads keep Node alive. withSnarkjsCurve runs fn and then
 * terminates that curve if it was created for us; a curve that already existed belongs to its
 * creator and is left alone. Overlapping calls share one curve, terminated when the last finishes.
 */
export async function withSnarkjsCurve<T>(fn: () => Promise<T>): Promise<T> {
  const release = holdSnarkjsCurve();
  try {
    return await fn();
  } finally {
    await release();
  }
}

type Terminable = { terminate(): Promise<void> };

/**
 * Keeps the curve that withSnarkjsCurve calls build until the returned function is called, so that
 * each call reuses it: building one (WebAssembly and its worker threads) costs about 0.4 s, ten times
 * a verification. For a long-lived process that verifies many proofs (the service holds it from start
 * to close). Builds nothing itself: a process that never verifies pays nothing. withSnarkjsCurve is
 * a hold for the length of one call.
 */
export function holdSnarkjsCurve(): () => Promise<void> {
  const g = globalThis as { curve_bn128?: Terminable | null };
  if (curveLeases === 0) curveOwned = !g.curve_bn128;
  curveLeases++;
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    // Each copy of ffjavascript sets the global to null when it is first loaded, which orphans a
    // curve built before: remember every curve a hold ended on, so that all of them are terminated.
    if (curveOwned && g.curve_bn128) ownedCurves.add(g.curve_bn128);
    curveLeases--;
    if (curveLeases === 0 && curveOwned) {
      curveOwned = false;
      const curves = [...ownedCurves];
      ownedCurves.clear();
      for (const curve of curves) await curve.terminate();
    }
  };
}
let curveLeases = 0;
let curveOwned = false;
const ownedCurves = new Set<Terminable>();

/**
 * The bn128 curve with exactly `threads` WebAssembly worker threads (1: none, the calls run in the
 * caller's thread), built by snarkjs's own ffjavascript with our wasmcurves plugins
 * (./batch-affine-wasm.ts, ./coset-fft-wasm.ts) in its module. ffjavascript sizes its pool from `os.cpus().length`, read
 * once while the curve is built, and caches the multi-threaded curve per thread
 * (globalThis.curve_bn128, which snarkjs then uses too): the count is set by showing it that many
 * CPUs for the duration of the build. A curve already built is reused as it is (it may lack the
 * plugin: hasBatchAffine tells).
 */
export async function curveWithThreads(sj: Pick<Snarkjs, 'curves'>, threads: number): Promise<SnarkjsCurve> {
  const buildBn128 = snarkjsFfjavascript(sj).buildBn128;
  if (threads <= 1) return buildBn128(true, addPlugins);
  const g = globalThis as { curve_bn128?: SnarkjsCurve | null };
  if (g.curve_bn128) return g.curve_bn128;
  const cpus = os.cpus;
  const host = cpus();
  os.cpus = () => Array.from({ length: threads }, (_, i) => host[i % Math.max(1, host.length)]);
  try {
    return await buildBn128(false, addPlugins);
  } finally {
    os.cpus = cpus;
  }
}

/** Our functions in wasmcurves's module: the batch-affine windows and the one-pass coset FFT. */
function addPlugins(module: WasmModule): void {
  addBatchAffinePlugin(module);
  addCosetFftPlugin(module);
}

/** Whether `curve`'s WebAssembly has our one-pass coset FFT (./coset-fft-wasm.ts). */
export function hasCosetFft(curve: SnarkjsCurve): boolean {
  return typeof curve?.tm?.instance?.exports?.[ODD_COSET_FFT] === 'function';
}

/** Whether `curve`'s WebAssembly has our batch-affine windows, unsigned and signed (a curve built before ours, by snarkjs itself, has not). */
export function hasBatchAffine(curve: SnarkjsCurve): boolean {
  const exports = curve?.tm?.instance?.exports;
  return typeof exports?.[BATCH_AFFINE_CHUNK] === 'function' && typeof exports?.[SIGNED_WINDOW] === 'function';
}

/**
 * The ffjavascript that snarkjs itself loads (its own dependency, not ours): the same module
 * instance, so the curve it caches is the one snarkjs's prover and verifier pick up.
 */
function snarkjsFfjavascript(sj: Pick<Snarkjs, 'curves'>): { buildBn128(singleThread: boolean, plugins: typeof addPlugins): Promise<SnarkjsCurve> } {
  void sj; // loaded by the caller: ffjavascript (and the web-worker shim it needs) are in the require cache
  return require(require.resolve('ffjavascript', { paths: [path.dirname(require.resolve('snarkjs'))] }));
}
