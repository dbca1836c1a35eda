/**
 * One Pippenger window of a G1 multi-exponentiation on the curve's threads, in one of three kinds:
 * - 'jacobian': wasmcurves's `g1m_multiexpAffine_chunk` (a curve built without our plugin);
 * - 'batchAffine': our batch-affine window over c bits of each scalar (2^c buckets);
 * - 'signed': our batch-affine window over signed digits (./signed-digits.ts; 2^(c−1) buckets),
 *   the default on a curve with the plugin (src/snark/batch-affine-wasm.ts).
 * Each kind comes with its cost model: a window of n points and c bits costs about
 * n + REDUCTION_COST[kind]·buckets(c) of its own point additions.
 */
import { BATCH_AFFINE_CHUNK, bucketCount, scratchBytes, SIGNED_WINDOW } from '../snark/batch-affine-wasm';
import { hasBatchAffine } from '../snark/curve';
import type { SnarkjsCurve } from '../snark/snarkjs';
import { signedDigits, signedWindowCount } from './signed-digits';

export type WindowKind = 'jacobian' | 'batchAffine' | 'signed';

const N8 = 32;
const G1_JACOBIAN = 96;
/** bn128 scalars are below r < 2^254. */
const SCALAR_BITS = 254;

/**
 * A bucket of the reduction in units of the window's point additions. Unsigned windows sum their
 * buckets in Jacobian form (a mixed and a Jacobian addition per bucket, ≈ 27 multiplications)
 * against a Jacobian bucket's mixed addition (≈ 11) or a batch-affine one (≈ 6.5). The signed window
 * sums them in affine form: two batched affine additions, ≈ 13, so 2. (Measured with bench/msm.ts,
 * the choice is flat near the optimum: H's table at 2^15 took the same time with c = 15 and 16, the
 * windowed multiexp at 2^17 the same within noise with c = 13 and 15.)
 */
export const REDUCTION_COST: Record<WindowKind, number> = { jacobian: 2 * 1.45, batchAffine: 4.2, signed: 2 };

/** The best window this curve runs: signed digits when it has our plugin. */
export function windowKindOf(curve: SnarkjsCurve): WindowKind {
  return hasBatchAffine(curve) ? 'signed' : 'jacobian';
}

/** Buckets of one window of c bits. */
export const windowBuckets = (kind: WindowKind, c: number): number => bucketCount(c, kind === 'signed' ? 'signed' : 'bits');

/** Windows of c bits for scalars below r. */
export const windowCount = (kind: WindowKind, c: number): number => (kind === 'signed' ? signedWindowCount(c) : Math.ceil(SCALAR_BITS / c));

/** The cost model: one window of n points, in point additions. */
export const windowCost = (kind: WindowKind, n: number, c: number): number => n + REDUCTION_COST[kind] * windowBuckets(kind, c);

/**
 * The digits of scalars[from, from + count) (32 bytes LE, standard form) for `windows` windows of c
 * bits, window-major, 2 bytes each: unsigned c-bit chunks (c ≤ 16) for the 'bits' kinds, int16 signed
 * digits for 'signed'.
 */
export function windowDigits(kind: WindowKind, scalars: Uint8Array, from: number, count: number, c: number, windows: number): Uint8Array {
  if (kind === 'signed') return signedDigits(scalars, from, count, c, windows);
  const aligned = scalars.byteOffset % 4 === 0 ? scalars : scalars.slice();
  const words = new Uint32Array(aligned.buffer, aligned.byteOffset + from * N8, count * 8);
  const out = new Uint16Array(count * windows);
  const mask = (1 << c) - 1;
  for (let j = 0; j < windows; j++) {
    const bit = j * c;
    const word = bit >>> 5;
    const sh = bit & 31;
    const row = j * count;
    for (let i = 0; i < count; i++) {
      const lo = words[i * 8 + word] >>> sh;
      const hi = sh === 0 || word === 7 ? 0 : words[i * 8 + word + 1] << (32 - sh);
      out[row + i] = (lo | hi) & mask;
    }
  }
  // Uint16Array is little-endian on every platform Node runs WebAssembly on.
  return new Uint8Array(out.buffer);
}

/**
 * The allocation one window of n points and c bits needs, as variable `scratchVar`: our windows'
 * scratch, or the room for wasmcurves's Jacobian buckets, which live past the last allocation,
 * unchecked (the allocation grows the memory to hold them).
 */
export function windowCommands(kind: WindowKind, n: number, c: number, scratchVar: number): object[] {
  const len = kind === 'jacobian' ? (1 << c) * G1_JACOBIAN : scratchBytes(n, c, kind === 'signed' ? 'signed' : 'bits');
  return [{ cmd: 'ALLOC', var: scratchVar, len }];
}

/** A task parameter: a variable (plus a byte offset) or a value. */
type Param = { var: number; offset?: number } | { val: number };

/**
 * The CALL of one window over n points of `bases` into the Jacobian point `pr`. `digits` are the
 * window's 2-byte digits (windowDigits) or, for the 'bits' kinds, scalars of scalarSize bytes whose
 * bits from startBit are the window.
 */
export function windowCall(kind: WindowKind, w: { bases: Param; digits: Param; scalarSize: number; n: number; startBit: number; c: number; pr: Param; scratchVar: number }): object {
  if (kind === 'signed') return { cmd: 'CALL', fnName: SIGNED_WINDOW, params: [w.bases, w.digits, { val: w.n }, { val: w.c }, w.pr, { var: w.scratchVar }] };
  const params = [w.bases, w.digits, { val: w.scalarSize }, { val: w.n }, { val: w.startBit }, { val: w.c }, w.pr];
  return kind === 'batchAffine' ? { cmd: 'CALL', fnName: BATCH_AFFINE_CHUNK, params: [...params, { var: w.scratchVar }] } : { cmd: 'CALL', fnName: 'g1m_multiexpAffine_chunk', params };
}
