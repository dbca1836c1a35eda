/**
 * Σ sᵢ·Pᵢ over fixed bases with full-width scalars (the H section of a zkey, whose bases never change
 * while the key stays in memory), by precomputation: once per key, a table of 2^(c·j)·Pᵢ for every
 * window j of c scalar bits. A proof's multi-exponentiation is then ONE Pippenger window of c bits
 * over the N·W table points with the scalars' c-bit digits (wasmcurves `g1m_multiexpAffine_chunk`):
 * no doublings, and one bucket reduction (≈ 2^(c+1) additions) per thread instead of one per window.
 * For the MNIST MLP's 2^13 points on 2 threads that is ≈ 102 k additions per thread against
 * ≈ 140 k for the windowed multiexp (26 windows of 10 bits, each with its own reduction).
 *
 * The table costs N·W·64 bytes (11.5 MiB at 2^13, W = 22), so above MAX_TABLE_BYTES the caller keeps
 * the plain multiexp.
 */
import { BATCH_AFFINE_CHUNK, scratchBytes } from '../snark/batch-affine-wasm';
import { hasBatchAffine } from '../snark/curve';
import type { SnarkjsCurve } from '../snark/snarkjs';

const N8 = 32;
const G1_AFFINE = 64;
const G1_JACOBIAN = 96;
/** bn128 scalars are below r < 2^254. */
const SCALAR_BITS = 254;
/**
 * A budget for the table of one key: domains up to 2^14 (23 MiB there). Above, the gain shrinks (the
 * windows' bucket reductions weigh less against N) while the table and its precomputation grow with N.
 */
export const MAX_TABLE_BYTES = 32 * 1024 * 1024;
/**
 * A bucket reduction costs about this many of the window's point additions per bucket: a mixed and a
 * Jacobian addition (≈ 27 multiplications) against a Jacobian bucket's mixed addition (≈ 11), or
 * against a batch-affine one (≈ 6.5, src/snark/batch-affine-wasm.ts).
 */
const REDUCTION_COST = { jacobian: 2 * 1.45, batchAffine: 4.2 };

export interface FixedBaseTable {
  /** Window width in bits (≤ 16: digits are sent as 2-byte scalars). */
  c: number;
  windows: number;
  /** One slice of the bases per thread: [points from, from + count) × every window, window-major. */
  slices: Array<{ from: number; count: number; points: Uint8Array }>;
}

/** The window width that minimises one thread's additions, or undefined when the table would not fit the budget. */
export function tableWindowBits(nPoints: number, parts: number, batchAffine = false): number | undefined {
  let best: number | undefined;
  let bestCost = Infinity;
  for (let c = 8; c <= 16; c++) {
    const windows = Math.ceil(SCALAR_BITS / c);
    if (nPoints * windows * G1_AFFINE > MAX_TABLE_BYTES) continue;
    const cost = (nPoints * windows) / parts + REDUCTION_COST[batchAffine ? 'batchAffine' : 'jacobian'] * 2 ** c;
    if (cost < bestCost) [best, bestCost] = [c, cost];
  }
  return best;
}

/** The table of `bases` (affine G1, LE Montgomery) for `parts` threads; each window is the previous one times 2^c, on the curve's threads. */
export async function buildFixedBaseTable(curve: SnarkjsCurve, bases: Uint8Array, parts: number, c: number): Promise<FixedBaseTable> {
  const n = bases.byteLength / G1_AFFINE;
  const windows = Math.ceil(SCALAR_BITS / c);
  const shift = curve.Fr.e(1n << BigInt(c));
  const byWindow: Uint8Array[] = [bases];
  for (let j = 1; j < windows; j++) byWindow.push(await curve.G1.batchApplyKey(byWindow[j - 1], shift, curve.Fr.one));
  const per = Math.ceil(n / parts);
  const slices: FixedBaseTable['slices'] = [];
  for (let from = 0; from < n; from += per) {
    const count = Math.min(per, n - from);
    const points = new Uint8Array(count * windows * G1_AFFINE);
    byWindow.forEach((w, j) => points.set(w.subarray(from * G1_AFFINE, (from + count) * G1_AFFINE), j * count * G1_AFFINE));
    slices.push({ from, count, points });
  }
  return { c, windows, slices };
}

/**
 * The c-bit digits of scalars[from, from + count) (32 bytes LE, standard form) as 2-byte LE scalars,
 * window-major like the table slice.
 */
export function tableDigits(scalars: Uint8Array, from: number, count: number, c: number, windows: number): Uint8Array {
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

/** Σ scalars[i]·bases[i] with the key's table: one c-bit window per thread slice. Returns a Jacobian point. */
export async function fixedBaseMultiExp(curve: SnarkjsCurve, table: FixedBaseTable, scalars: Uint8Array): Promise<Uint8Array> {
  const G = curve.G1;
  const partials = await Promise.all(
    table.slices.map(async ({ from, count, points }) => {
      const m = count * table.windows;
      const [r] = await curve.tm.queueAction([
        { cmd: 'ALLOCSET', var: 0, buff: points },
        { cmd: 'ALLOCSET', var: 1, buff: tableDigits(scalars, from, count, table.c, table.windows) },
        { cmd: 'ALLOC', var: 2, len: G1_JACOBIAN },
        ...windowCommands(curve, m, table.c, 3),
        windowCall(curve, [{ var: 0 }, { var: 1 }, { val: 2 }, { val: m }, { val: 0 }, { val: table.c }, { var: 2 }], 3),
        { cmd: 'GET', out: 0, var: 2, len: G1_JACOBIAN },
      ]);
      return r as Uint8Array;
    }),
  );
  let sum = G.zero;
  for (const p of partials) sum = G.add(sum, p);
  return sum;
}

/**
 * The allocation one G1 Pippenger window of n points and c bits needs, as variable `scratchVar`: the
 * batch-affine window's scratch when the curve has it, else the room for wasmcurves's Jacobian
 * buckets, which live past the last allocation, unchecked (the allocation grows the memory to hold them).
 */
export function windowCommands(curve: SnarkjsCurve, n: number, c: number, scratchVar: number): object[] {
  return [{ cmd: 'ALLOC', var: scratchVar, len: hasBatchAffine(curve) ? scratchBytes(n, c) : (1 << c) * G1_JACOBIAN }];
}

/** The CALL of one G1 window with `g1m_multiexpAffine_chunk`'s parameters: batch-affine (with its scratch) when the curve has it. */
export function windowCall(curve: SnarkjsCurve, params: object[], scratchVar: number): object {
  return hasBatchAffine(curve) ? { cmd: 'CALL', fnName: BATCH_AFFINE_CHUNK, params: [...params, { var: scratchVar }] } : { cmd: 'CALL', fnName: 'g1m_multiexpAffine_chunk', params };
}
