/**
 * Our Groth16 prover on ffjavascript/wasmcurves, the same arithmetic as snarkjs 0.7.6's
 * `groth16.prove` (src/groth16_prove.js) and the same proof JSON, with three differences that make
 * it fast:
 * - the zkey is parsed once into a ProvingKey that stays in memory across proofs (no section reads,
 *   no header parsing per proof);
 * - A·w and B·w (and C = A∘B) are evaluated by wasmcurves's WebAssembly `qap_buildABC` on every
 *   thread of the curve, over coefficients sorted by row once per key and cut into one slice per
 *   thread with equal coefficient counts (snarkjs runs a JavaScript loop on one thread);
 * - the three FFT chains and the five multi-exponentiations are queued together, so the threads
 *   never wait for one small step to finish before the next starts.
 */
import { ZkmlError } from '../errors';
import { readBigLE } from '../snark/bin-file';
import type { SnarkjsCurve } from '../snark/snarkjs';
import { COEF_RECORD_BYTES, Groth16ZkeySections } from '../snark/zkey-sections';
import { ODD_COSET_FFT, cosetFftScratchBytes } from '../snark/coset-fft-wasm';
import { hasBatchAffine, hasCosetFft } from '../snark/curve';
import { buildFixedBaseTable, FixedBaseTable, fixedBaseMultiExp, MAX_TABLE_BYTES, tableWindowBits } from './fixed-base-msm';
import { windowCall, windowCommands, windowCost, windowKindOf, WindowKind } from './msm-window';
import { MAX_SIGNED_WINDOW_BITS, signedDigits, signedWindowCount } from './signed-digits';

const N8 = 32;

/** One thread's share of the A·w / B·w evaluation: the coefficients of rows [rowStart, rowStart + rows). */
export interface AbcSlice {
  coefs: Uint8Array;
  nCoefs: number;
  rowStart: number;
  rows: number;
}

export interface ProvingKey {
  sections: Groth16ZkeySections;
  slices: AbcSlice[];
  /** Header points in ffjavascript's internal (Jacobian Montgomery) form. */
  alpha1: Uint8Array;
  beta1: Uint8Array;
  beta2: Uint8Array;
  delta1: Uint8Array;
  delta2: Uint8Array;
  /**
   * The precomputed windows of the H bases (fixed-base-msm.ts), built on the curve's threads in the
   * background once per key; until it is ready (or when it does not fit the budget) H uses the plain multiexp.
   */
  hTable: Promise<FixedBaseTable | undefined>;
  hTableReady?: FixedBaseTable;
  /** The G1 Pippenger window of the full-width multiexps (msm-window.ts): signed digits on our curve. */
  windowKind: WindowKind;
  /** The coset FFTs by our one-pass `frm_oddCosetFft` (on our curve) or by wasmcurves's three calls. */
  cosetFft: 'onePass' | 'wasmcurves';
}

export interface ProofTimings {
  /** A·w, B·w, C = A∘B in the evaluation domain. */
  abcMs: number;
  /** The inverse FFTs, the shift to the odd coset, the FFTs and A·B − C (the four witness MSMs run alongside on the threads the FFTs leave free). */
  fftMs: number;
  /** The H multi-exponentiation, what is left of the witness ones, and the assembly of the proof. */
  msmMs: number;
}

export interface Groth16Proof {
  pi_a: [string, string, string];
  pi_b: [[string, string], [string, string], [string, string]];
  pi_c: [string, string, string];
  protocol: 'groth16';
  curve: 'bn128';
}

/**
 * Prepares a parsed zkey for proving with `curve`: its coefficients sorted by row and cut into one
 * slice per thread. The G1 window, H's table budget and the coset FFT are the curve's best and
 * MAX_TABLE_BYTES unless a benchmark asks for others (bench/prover.ts compares with the previous ones).
 */
export function prepareProvingKey(
  curve: SnarkjsCurve,
  sections: Groth16ZkeySections,
  options: { windowKind?: WindowKind; maxTableBytes?: number; cosetFft?: ProvingKey['cosetFft'] } = {},
): ProvingKey {
  const { G1, G2 } = curve;
  const windowKind = options.windowKind ?? windowKindOf(curve);
  const cosetFft = options.cosetFft ?? (hasCosetFft(curve) ? 'onePass' : 'wasmcurves');
  if (cosetFft === 'onePass' && !hasCosetFft(curve)) throw new ZkmlError('PROVE_FAILED', 'the one-pass coset FFT needs a curve built with our plugin (src/snark/curve.ts)');
  if (windowKind !== 'jacobian' && !hasBatchAffine(curve)) throw new ZkmlError('PROVE_FAILED', `a ${windowKind} window needs a curve built with our plugin (src/snark/curve.ts)`);
  const key: ProvingKey = {
    windowKind,
    cosetFft,
    hTable: Promise.resolve(undefined),
    sections,
    slices: sliceCoefsByRow(sections.coefs, sections.nCoefs, sections.domainSize, curve.tm.concurrency),
    alpha1: G1.fromRprLEM(sections.vk.alpha1, 0),
    beta1: G1.fromRprLEM(sections.vk.beta1, 0),
    beta2: G2.fromRprLEM(sections.vk.beta2, 0),
    delta1: G1.fromRprLEM(sections.vk.delta1, 0),
    delta2: G2.fromRprLEM(sections.vk.delta2, 0),
  };
  key.hTable = hTableFor(curve, sections.pointsH, windowKind, options.maxTableBytes ?? MAX_TABLE_BYTES).then((t) => (key.hTableReady = t));
  return key;
}

/** The H table, if it fits the memory budget; a failure to build it only costs speed. */
function hTableFor(curve: SnarkjsCurve, pointsH: Uint8Array, kind: WindowKind, maxTableBytes: number): Promise<FixedBaseTable | undefined> {
  const parts = curve.tm.concurrency;
  const c = tableWindowBits(pointsH.byteLength / 64, parts, kind, maxTableBytes);
  if (c === undefined) return Promise.resolve(undefined);
  return buildFixedBaseTable(curve, pointsH, parts, c, kind).catch(() => undefined);
}

/**
 * Sorts the coefficient records by row (a counting sort: rows are < domainSize) and cuts the rows into
 * `parts` ranges with about the same number of coefficients each: circom's long linear combinations
 * make a few rows hold most of the terms, so equal row counts would leave one thread with the work.
 */
export function sliceCoefsByRow(coefs: Uint8Array, nCoefs: number, domainSize: number, parts: number): AbcSlice[] {
  const view = new DataView(coefs.buffer, coefs.byteOffset, coefs.byteLength);
  const rowOf = (i: number): number => view.getUint32(i * COEF_RECORD_BYTES + 4, true);
  const start = new Uint32Array(domainSize + 1);
  for (let i = 0; i < nCoefs; i++) start[rowOf(i) + 1]++;
  for (let r = 0; r < domainSize; r++) start[r + 1] += start[r];
  const sorted = new Uint8Array(nCoefs * COEF_RECORD_BYTES);
  const next = start.slice(0, domainSize);
  for (let i = 0; i < nCoefs; i++) {
    const at = next[rowOf(i)]++;
    sorted.set(coefs.subarray(i * COEF_RECORD_BYTES, (i + 1) * COEF_RECORD_BYTES), at * COEF_RECORD_BYTES);
  }

  const slices: AbcSlice[] = [];
  let row = 0;
  for (let p = 0; p < parts && row < domainSize; p++) {
    // The last slice takes every row left; the others end at the first row boundary past their share.
    let end = domainSize;
    if (p < parts - 1) {
      const target = Math.ceil((nCoefs * (p + 1)) / parts);
      end = row + 1;
      while (end < domainSize && start[end] < target) end++;
    }
    const from = start[row];
    const to = start[end];
    // Its own buffer: a view would send the whole key's bytes to the thread.
    slices.push({ coefs: sorted.slice(from * COEF_RECORD_BYTES, to * COEF_RECORD_BYTES), nCoefs: to - from, rowStart: row, rows: end - row });
    row = end;
  }
  return slices;
}

/**
 * The A·w, B·w and A∘B vectors over the domain (Montgomery form, as snarkjs's buildABC1 leaves
 * them), one WebAssembly task per slice. `witness` holds nVars field elements, 32 bytes LE each.
 */
export async function evaluateAbc(curve: SnarkjsCurve, key: ProvingKey, witness: Uint8Array): Promise<[Uint8Array, Uint8Array, Uint8Array]> {
  const { domainSize, nVars } = key.sections;
  const results: Uint8Array[][] = await Promise.all(
    key.slices.map((s) =>
      curve.tm.queueAction([
        { cmd: 'ALLOCSET', var: 0, buff: s.coefs },
        { cmd: 'ALLOCSET', var: 1, buff: witness },
        { cmd: 'ALLOC', var: 2, len: s.rows * N8 },
        { cmd: 'ALLOC', var: 3, len: s.rows * N8 },
        { cmd: 'ALLOC', var: 4, len: s.rows * N8 },
        {
          cmd: 'CALL',
          fnName: 'qap_buildABC',
          params: [{ var: 0 }, { val: s.nCoefs }, { var: 1 }, { var: 2 }, { var: 3 }, { var: 4 }, { val: s.rowStart }, { val: s.rows }, { val: 0 }, { val: nVars }],
        },
        { cmd: 'GET', out: 0, var: 2, len: s.rows * N8 },
        { cmd: 'GET', out: 1, var: 3, len: s.rows * N8 },
        { cmd: 'GET', out: 2, var: 4, len: s.rows * N8 },
      ]),
    ),
  );
  const out = [new Uint8Array(domainSize * N8), new Uint8Array(domainSize * N8), new Uint8Array(domainSize * N8)] as [Uint8Array, Uint8Array, Uint8Array];
  key.slices.forEach((s, i) => out.forEach((o, m) => o.set(results[i][m], s.rowStart * N8)));
  return out;
}

/**
 * One vector's values on the odd coset (ifft, multiply coefficient i by inc^i, fft), in one
 * WebAssembly task: the three vectors go to three threads at once, and a domain of a few thousand
 * points is not worth ffjavascript's chunked FFT, whose every butterfly stage is a round trip, unless
 * there are more threads than vectors. On our curve the task is one call of `frm_oddCosetFft`
 * (src/snark/coset-fft-wasm.ts: one multiplication per butterfly instead of two, no permutations);
 * on snarkjs's own, wasmcurves's three calls. The values are the same either way.
 */
async function toOddCoset(curve: SnarkjsCurve, evaluations: Uint8Array, inc: Uint8Array, onePass: boolean): Promise<Uint8Array> {
  const n = evaluations.byteLength / N8;
  const Fr = curve.Fr;
  if (curve.tm.concurrency > 3) {
    // More threads than vectors: ffjavascript's chunked FFT keeps them all busy (the same values).
    return Fr.fft(await Fr.batchApplyKey(await Fr.ifft(evaluations), Fr.e(1), inc));
  }
  if (onePass) {
    const bits = Math.log2(n);
    const [odd] = await curve.tm.queueAction([
      { cmd: 'ALLOCSET', var: 0, buff: evaluations },
      { cmd: 'ALLOCSET', var: 1, buff: Fr.w[bits] },
      { cmd: 'ALLOCSET', var: 2, buff: Fr.inv(Fr.e(n)) },
      { cmd: 'ALLOCSET', var: 3, buff: inc },
      { cmd: 'ALLOC', var: 4, len: cosetFftScratchBytes(n) },
      { cmd: 'CALL', fnName: ODD_COSET_FFT, params: [{ var: 0 }, { val: bits }, { var: 1 }, { var: 2 }, { var: 3 }, { var: 4 }] },
      { cmd: 'GET', out: 0, var: 0, len: n * N8 },
    ]);
    return odd;
  }
  const [odd] = await curve.tm.queueAction([
    { cmd: 'ALLOCSET', var: 0, buff: evaluations },
    { cmd: 'ALLOCSET', var: 1, buff: Fr.one },
    { cmd: 'ALLOCSET', var: 2, buff: inc },
    { cmd: 'ALLOC', var: 3, len: n * N8 },
    { cmd: 'CALL', fnName: 'frm_ifft', params: [{ var: 0 }, { val: n }] },
    { cmd: 'CALL', fnName: 'frm_batchApplyKey', params: [{ var: 0 }, { val: n }, { var: 1 }, { var: 2 }, { var: 3 }] },
    { cmd: 'CALL', fnName: 'frm_fft', params: [{ var: 3 }, { val: n }] },
    { cmd: 'GET', out: 0, var: 3, len: n * N8 },
  ]);
  return odd;
}

/** H's scalars: A·B − C on the odd coset, out of Montgomery form for the multi-exponentiation (snarkjs's joinABC). */
async function joinAbc(curve: SnarkjsCurve, a: Uint8Array, b: Uint8Array, c: Uint8Array): Promise<Uint8Array> {
  const n = a.byteLength / N8;
  const [h] = await curve.tm.queueAction([
    { cmd: 'ALLOCSET', var: 0, buff: a },
    { cmd: 'ALLOCSET', var: 1, buff: b },
    { cmd: 'ALLOCSET', var: 2, buff: c },
    { cmd: 'ALLOC', var: 3, len: n * N8 },
    { cmd: 'CALL', fnName: 'qap_joinABC', params: [{ var: 0 }, { var: 1 }, { var: 2 }, { val: n }, { var: 3 }] },
    { cmd: 'CALL', fnName: 'frm_batchFromMontgomery', params: [{ var: 3 }, { val: n }, { var: 3 }] },
    { cmd: 'GET', out: 0, var: 3, len: n * N8 },
  ]);
  return h;
}

/** q, the BN254 base field order, as 8 little-endian u32 limbs (to negate a coordinate in Montgomery form: q − y). */
const Q_LIMBS = limbs(21888242871839275222246405745257275088696311157297823662689037894645226208583n);
/** r, the scalar field order. */
const R_LIMBS = limbs(21888242871839275222246405745257275088548364400416034343698204186575808495617n);

function limbs(v: bigint): Uint32Array {
  return Uint32Array.from({ length: 8 }, (_, i) => Number((v >> BigInt(32 * i)) & 0xffffffffn));
}

/**
 * The scalars of a multi-exponentiation sorted by size. A quantized model's witness is mostly zeros,
 * bits, small integers and small negatives (r − s small), and Pippenger's cost is per window of
 * scalar bits whatever the values: so zeros are dropped, and the others go into multiexps over
 * 1-byte, 8-byte and full 32-byte scalars; a small negative s is taken as (r − s)·(−P).
 */
export interface ScalarSplit {
  /** Per scalar width (1, 8, 32 bytes): the point indices, ~index (negative) for a point to negate, and the scalars. */
  groups: Array<{ width: number; indices: Int32Array; scalars: Uint8Array }>;
}

const WIDTHS = [1, 8, N8];

export function splitScalars(scalars: Uint8Array): ScalarSplit {
  const n = scalars.byteLength / N8;
  const aligned = scalars.byteOffset % 4 === 0 ? scalars : scalars.slice();
  const w = new Uint32Array(aligned.buffer, aligned.byteOffset, n * 8);
  const indices = WIDTHS.map(() => new Int32Array(n));
  const values = WIDTHS.map((width) => new Uint8Array(n * width));
  const counts = [0, 0, 0];
  const neg = new Uint32Array(8);
  const put = (g: number, index: number, v: ArrayLike<number>): void => {
    const k = counts[g]++;
    indices[g][k] = index;
    const width = WIDTHS[g];
    const out = values[g];
    for (let b = 0; b < width; b++) out[k * width + b] = (v[b >> 2] >>> (8 * (b & 3))) & 0xff;
  };
  const limb = new Uint32Array(8);
  for (let i = 0; i < n; i++) {
    let high = 0;
    for (let j = 0; j < 8; j++) {
      limb[j] = w[i * 8 + j];
      if (j >= 2) high |= limb[j];
    }
    if (high === 0) {
      if ((limb[0] | limb[1]) === 0) continue;
      put(limb[1] === 0 && limb[0] < 256 ? 0 : 1, i, limb);
      continue;
    }
    // r − s, limb by limb with borrow: small when its six high limbs are zero.
    let borrow = 0;
    high = 0;
    for (let j = 0; j < 8; j++) {
      const d = R_LIMBS[j] - limb[j] - borrow;
      borrow = d < 0 ? 1 : 0;
      neg[j] = d >>> 0;
      if (j >= 2) high |= neg[j];
    }
    if (high === 0) put(neg[1] === 0 && neg[0] < 256 ? 0 : 1, ~i, neg);
    else put(2, i, limb);
  }
  return { groups: WIDTHS.map((width, g) => ({ width, indices: indices[g].slice(0, counts[g]), scalars: values[g].slice(0, counts[g] * width) })) };
}

/** The split of scalars[from..]: the same groups, indices shifted down by `from`. */
function splitFrom(split: ScalarSplit, from: number): ScalarSplit {
  return {
    groups: split.groups.map(({ width, indices, scalars }) => {
      const keep: number[] = [];
      indices.forEach((i, k) => {
        if ((i < 0 ? ~i : i) >= from) keep.push(k);
      });
      const out = new Uint8Array(keep.length * width);
      keep.forEach((k, j) => out.set(scalars.subarray(k * width, (k + 1) * width), j * width));
      return { width, indices: Int32Array.from(keep, (k) => (indices[k] < 0 ? ~(~indices[k] - from) : indices[k] - from)), scalars: out };
    }),
  };
}

/** The points of `indices` (affine, LE Montgomery; ~i: negated) one after another. */
function gatherPoints(bases: Uint8Array, sBase: number, indices: Int32Array): Uint8Array {
  const out = new Uint8Array(indices.length * sBase);
  const ov = new DataView(out.buffer);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    const at = (i < 0 ? ~i : i) * sBase;
    out.set(bases.subarray(at, at + sBase), k * sBase);
    if (i >= 0) continue;
    // −(x, y) = (x, −y); y is one (G1) or two (G2) base-field elements, each 32 bytes, zero at infinity.
    for (let y = k * sBase + sBase / 2; y < (k + 1) * sBase; y += 32) {
      let zero = true;
      for (let j = 0; j < 8 && zero; j++) zero = ov.getUint32(y + 4 * j, true) === 0;
      if (zero) continue;
      let borrow = 0;
      for (let j = 0; j < 8; j++) {
        const d = Q_LIMBS[j] - ov.getUint32(y + 4 * j, true) - borrow;
        borrow = d < 0 ? 1 : 0;
        ov.setUint32(y + 4 * j, d >>> 0, true);
      }
    }
  }
  return out;
}

/** Pippenger window width by log2 of the point count (ffjavascript's table for its windowed multiexp), for the unsigned windows. */
const WINDOW_BITS = [1, 1, 1, 1, 2, 3, 4, 5, 6, 7, 7, 8, 9, 10, 11, 12, 13, 13, 14, 15, 16, 16, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17];

/**
 * The signed window width for n points whose windows are shared out among `parts` threads: the one
 * that minimises a thread's additions, ⌈W/parts⌉ windows of n + 4.2·2^(c−1) each (msm-window.ts).
 * On 2 threads: 2^13 points c = 10, 2^15 c = 12, 2^17 c = 13 (ffjavascript's unsigned table: 13, 15, 13).
 */
export function signedWindowBits(n: number, parts: number): number {
  let best = 2;
  let bestCost = Infinity;
  for (let c = 2; c <= MAX_SIGNED_WINDOW_BITS; c++) {
    const cost = Math.ceil(signedWindowCount(c) / parts) * windowCost('signed', n, c);
    if (cost < bestCost) [best, bestCost] = [c, cost];
  }
  return best;
}

/**
 * Σ scalars[i]·bases[i] (affine bases, LE Montgomery; scalars 32 bytes LE, standard form): the small
 * and the large scalars (splitScalars) each cut into `parts` ranges of points, each range one call of
 * wasmcurves's whole Pippenger multiexp on one thread. ffjavascript's multiExpAffine instead queues
 * one task per window of scalar bits, each carrying a copy of all the bases: at these sizes the
 * copies and round trips cost as much as the arithmetic.
 */
export async function multiExp(
  curve: SnarkjsCurve,
  group: 'G1' | 'G2',
  bases: Uint8Array,
  scalars: Uint8Array,
  parts: number,
  split?: ScalarSplit,
  g1Window: WindowKind = windowKindOf(curve),
): Promise<Uint8Array> {
  const G = curve[group];
  const sBase = G.F.n8 * 2;
  const tasks: Promise<Uint8Array>[] = [];
  const fn = group === 'G1' ? 'g1m' : 'g2m';
  const sPoint = G.F.n8 * 3;
  const queue = (points: Uint8Array, values: Uint8Array, sScalar: number): void => {
    const n = points.byteLength / sBase;
    if (n === 0) return;
    if (sScalar === N8 && parts > 1) {
      tasks.push(windowsSplit(points, values, n));
      return;
    }
    const per = Math.ceil(n / parts);
    for (let i = 0; i < n; i += per) {
      const m = Math.min(per, n - i);
      tasks.push(
        curve.tm
          .queueAction([
            { cmd: 'ALLOCSET', var: 0, buff: points.slice(i * sBase, (i + m) * sBase) },
            { cmd: 'ALLOCSET', var: 1, buff: values.slice(i * sScalar, (i + m) * sScalar) },
            { cmd: 'ALLOC', var: 2, len: sPoint },
            { cmd: 'CALL', fnName: `${fn}_multiexpAffine`, params: [{ var: 0 }, { var: 1 }, { val: sScalar }, { val: m }, { var: 2 }] },
            { cmd: 'GET', out: 0, var: 2, len: sPoint },
          ])
          .then(([r]: Uint8Array[]) => r),
      );
    }
  };
  /**
   * Full-width scalars are cut by windows of bits rather than by points: every thread sums all the
   * points over its share of the windows, so no thread pays a second bucket reduction per window.
   */
  const windowsSplit = async (points: Uint8Array, values: Uint8Array, n: number): Promise<Uint8Array> => {
    // G2 keeps wasmcurves's window; G1 takes the key's (signed digits on our curve).
    const kind: WindowKind = group === 'G1' ? g1Window : 'jacobian';
    const signed = kind === 'signed';
    const c = signed ? signedWindowBits(n, parts) : WINDOW_BITS[Math.min(WINDOW_BITS.length - 1, Math.floor(Math.log2(n)))];
    const nWindows = signed ? signedWindowCount(c) : Math.ceil((N8 * 8) / c);
    const digits = signed ? signedDigits(values, 0, n, c, nWindows) : undefined;
    const ranges = Array.from({ length: parts }, (_, t) => [Math.floor((t * nWindows) / parts), Math.floor(((t + 1) * nWindows) / parts)]).filter(([a, b]) => b > a);
    const outs = await Promise.all(
      ranges.map(([from, to]) => {
        const task: object[] = [
          { cmd: 'ALLOCSET', var: 0, buff: points },
          // Signed: the digits of this thread's windows, window-major (2 bytes per point and window); a copy, as a view would send them all.
          { cmd: 'ALLOCSET', var: 1, buff: digits ? digits.slice(from * n * 2, to * n * 2) : values },
        ];
        for (let w = from; w < to; w++) task.push({ cmd: 'ALLOC', var: 2 + w - from, len: sPoint });
        const scratch = 2 + to - from;
        // Each chunk's buckets live past the last allocation, unchecked: this one grows the memory to hold them.
        if (group === 'G2') task.push({ cmd: 'ALLOC', var: scratch, len: (1 << c) * sPoint });
        else task.push(...windowCommands(kind, n, c, scratch));
        for (let w = from; w < to; w++) {
          const bits = signed ? c : Math.min(N8 * 8 - w * c, c);
          if (group === 'G2') {
            const params = [{ var: 0 }, { var: 1 }, { val: N8 }, { val: n }, { val: w * c }, { val: bits }, { var: 2 + w - from }];
            task.push({ cmd: 'CALL', fnName: `${fn}_multiexpAffine_chunk`, params });
          } else {
            const window = { var: 1, offset: signed ? (w - from) * n * 2 : 0 };
            task.push(windowCall(kind, { bases: { var: 0 }, digits: window, scalarSize: N8, n, startBit: w * c, c: bits, pr: { var: 2 + w - from }, scratchVar: scratch }));
          }
        }
        for (let w = from; w < to; w++) task.push({ cmd: 'GET', out: w - from, var: 2 + w - from, len: sPoint });
        return curve.tm.queueAction(task) as Promise<Uint8Array[]>;
      }),
    );
    const windows = outs.flat();
    let sum = G.zero;
    for (let w = windows.length - 1; w >= 0; w--) {
      for (let d = 0; d < c && !G.isZero(sum); d++) sum = G.double(sum);
      sum = G.add(sum, windows[w]);
    }
    return sum;
  };
  if (split) {
    for (const g of split.groups) queue(gatherPoints(bases, sBase, g.indices), g.scalars, g.width);
  } else {
    queue(bases, scalars, N8);
  }
  let sum = G.zero;
  for (const partial of await Promise.all(tasks)) sum = G.add(sum, partial);
  return sum;
}

/**
 * A Groth16 proof for `witness` (the wtns section 2 bytes: nVars elements, 32 bytes LE, standard
 * form) and its public signals, in snarkjs's JSON format. r and s are drawn fresh for each proof.
 */
export async function proveGroth16(curve: SnarkjsCurve, key: ProvingKey, witness: Uint8Array): Promise<{ proof: Groth16Proof; publicSignals: string[]; timings: ProofTimings }> {
  const { Fr, G1, G2 } = curve;
  const { nVars, nPublic, power } = key.sections;
  if (witness.byteLength !== nVars * N8) {
    throw new ZkmlError('PROVE_FAILED', `the witness has ${witness.byteLength / N8} values, the key expects ${nVars}`);
  }
  const t0 = performance.now();
  const [aT, bT, cT] = await evaluateAbc(curve, key, witness);
  const t1 = performance.now();

  const { sections: k } = key;
  const parts = curve.tm.concurrency;
  // The domain's 2n-th root of unity moves the evaluations to the odd coset, where Z is non-zero.
  const inc = power === Fr.s ? Fr.shift : Fr.w[power + 1];
  const cosets = Promise.all([aT, bT, cT].map((v) => toOddCoset(curve, v, inc, key.cosetFft === 'onePass')));
  // The witness MSMs need no FFT: queued behind the three FFT chains, they keep busy the thread that
  // three chains on two threads would leave idle.
  const wSplit = splitScalars(witness);
  const cScalars = witness.subarray((nPublic + 1) * N8);
  const witnessMsms = Promise.all([
    multiExp(curve, 'G1', k.pointsA, witness, parts, wSplit, key.windowKind),
    multiExp(curve, 'G1', k.pointsB1, witness, parts, wSplit, key.windowKind),
    multiExp(curve, 'G2', k.pointsB2, witness, parts, wSplit, key.windowKind),
    multiExp(curve, 'G1', k.pointsC, cScalars, parts, splitFrom(wSplit, nPublic + 1), key.windowKind),
  ]);
  const [aOdd, bOdd, cOdd] = await cosets;
  const h = await joinAbc(curve, aOdd, bOdd, cOdd);
  const t2 = performance.now();
  const table = key.hTableReady;
  const msmH = await (table ? fixedBaseMultiExp(curve, table, h) : multiExp(curve, 'G1', k.pointsH, h, parts, undefined, key.windowKind));
  const [msmA, msmB1, msmB2, msmC] = await witnessMsms;

  const r = Fr.random();
  const s = Fr.random();
  const piA = G1.add(G1.add(msmA, key.alpha1), G1.timesFr(key.delta1, r));
  const piB = G2.add(G2.add(msmB2, key.beta2), G2.timesFr(key.delta2, s));
  const b1 = G1.add(G1.add(msmB1, key.beta1), G1.timesFr(key.delta1, s));
  let piC = G1.add(msmC, msmH);
  piC = G1.add(piC, G1.timesFr(piA, s));
  piC = G1.add(piC, G1.timesFr(b1, r));
  piC = G1.add(piC, G1.timesFr(key.delta1, Fr.neg(Fr.mul(r, s))));

  const strings = (v: unknown): unknown => (Array.isArray(v) ? v.map(strings) : String(v));
  const proof: Groth16Proof = {
    pi_a: strings(G1.toObject(G1.toAffine(piA))) as Groth16Proof['pi_a'],
    pi_b: strings(G2.toObject(G2.toAffine(piB))) as Groth16Proof['pi_b'],
    pi_c: strings(G1.toObject(G1.toAffine(piC))) as Groth16Proof['pi_c'],
    protocol: 'groth16',
    curve: 'bn128',
  };
  const publicSignals: string[] = [];
  for (let i = 1; i <= nPublic; i++) publicSignals.push(readBigLE(witness, i * N8, N8).toString());
  const t3 = performance.now();
  return { proof, publicSignals, timings: { abcMs: t1 - t0, fftMs: t2 - t1, msmMs: t3 - t2 } };
}
