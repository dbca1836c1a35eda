/**
 * Σ sᵢ·Pᵢ over fixed bases with full-width scalars (the H section of a zkey, whose bases never change
 * while the key stays in memory), by precomputation: once per key, a table of 2^(c·j)·Pᵢ for every
 * window j of c scalar bits. A proof's multi-exponentiation is then ONE Pippenger window of c bits
 * over the N·W table points with the scalars' c-bit digits (./msm-window.ts; signed digits on our
 * curve): no doublings, and one bucket reduction per thread instead of one per window.
 *
 * The table costs N·W·64 bytes, so above MAX_TABLE_BYTES the caller keeps the plain multiexp.
 */
import type { SnarkjsCurve } from '../snark/snarkjs';
import { windowCall, windowCommands, windowCost, windowCount, windowDigits, WindowKind } from './msm-window';

const G1_AFFINE = 64;
const G1_JACOBIAN = 96;
/**
 * A budget for the table of one key: domains up to 2^15 (32 MiB there, c = 16). Above, the gain
 * shrinks (the windows' bucket reductions weigh less against N) while the table and its
 * precomputation grow with N. (With signed digits, c = 15 at 2^15, 34 MiB, measured no faster.)
 */
export const MAX_TABLE_BYTES = 32 * 1024 * 1024;
/** Digits go to the window as 2-byte values. */
const MAX_TABLE_WINDOW_BITS = 16;

export interface FixedBaseTable {
  kind: WindowKind;
  /** Window width in bits. */
  c: number;
  windows: number;
  /** One slice of the bases per thread: [points from, from + count) × every window, window-major. */
  slices: Array<{ from: number; count: number; points: Uint8Array }>;
}

/**
 * The window width that minimises one thread's additions (N·W/parts table points plus the bucket
 * reduction of one window), or undefined when no table fits the budget.
 */
export function tableWindowBits(nPoints: number, parts: number, kind: WindowKind, maxTableBytes = MAX_TABLE_BYTES): number | undefined {
  let best: number | undefined;
  let bestCost = Infinity;
  for (let c = 8; c <= MAX_TABLE_WINDOW_BITS; c++) {
    const windows = windowCount(kind, c);
    if (nPoints * windows * G1_AFFINE > maxTableBytes) continue;
    const cost = windowCost(kind, (nPoints * windows) / parts, c);
    if (cost < bestCost) [best, bestCost] = [c, cost];
  }
  return best;
}

/** The table of `bases` (affine G1, LE Montgomery) for `parts` threads; each window is the previous one times 2^c, on the curve's threads. */
export async function buildFixedBaseTable(curve: SnarkjsCurve, bases: Uint8Array, parts: number, c: number, kind: WindowKind): Promise<FixedBaseTable> {
  const n = bases.byteLength / G1_AFFINE;
  const windows = windowCount(kind, c);
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
  return { kind, c, windows, slices };
}

/** Σ scalars[i]·bases[i] with the key's table: one c-bit window per thread slice. Returns a Jacobian point. */
export async function fixedBaseMultiExp(curve: SnarkjsCurve, table: FixedBaseTable, scalars: Uint8Array): Promise<Uint8Array> {
  const G = curve.G1;
  const { kind, c, windows } = table;
  const partials = await Promise.all(
    table.slices.map(async ({ from, count, points }) => {
      const m = count * windows;
      const [r] = await curve.tm.queueAction([
        { cmd: 'ALLOCSET', var: 0, buff: points },
        { cmd: 'ALLOCSET', var: 1, buff: windowDigits(kind, scalars, from, count, c, windows) },
        { cmd: 'ALLOC', var: 2, len: G1_JACOBIAN },
        ...windowCommands(kind, m, c, 3),
        windowCall(kind, { bases: { var: 0 }, digits: { var: 1 }, scalarSize: 2, n: m, startBit: 0, c, pr: { var: 2 }, scratchVar: 3 }),
        { cmd: 'GET', out: 0, var: 2, len: G1_JACOBIAN },
      ]);
      return r as Uint8Array;
    }),
  );
  let sum = G.zero;
  for (const p of partials) sum = G.add(sum, p);
  return sum;
}
