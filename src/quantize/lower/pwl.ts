/**
 * Piecewise-linear approximation of a smooth scalar function, built from relus:
 *     f(x) ≈ G(x) = c0 + c1·x + Σ_k d_k·relu(x − t_k)
 * over the input's bounded range (the bound analysis gives the exact integer interval of x).
 *
 * Fit: breakpoints t_k lie on the input's integer grid (so x − t_k is exact), chosen greedily so
 * that each segment's chord deviates from f by at most a tolerance; nodes are then moved by half
 * the adjacent chords' deviation to balance the error. The loosest tolerance whose measured error
 * meets PWL_TARGET_ERROR with at most PWL_MAX_SEGMENTS segments wins (with none, the most accurate
 * fit within the budget: its measured error is what is reported). Beyond the points where f is
 * within target / 4 of its asymptotes, G follows the asymptotes: no breakpoints on the tails.
 *
 * Circuit: one relu layer (x − t_k per element and breakpoint, shift 0: m + 2 constraints each,
 * free when the element's range does not straddle t_k) and one accumulate layer with integer slopes
 * at 2^-w, rescaled to the output's scale.
 *
 * Error: the integer function A(X) that the circuit computes is evaluated at every integer X of the
 * range (exhaustively; sampled with a Lipschitz slack when the range has more than 2^18 points,
 * and analytically in far tails, where G − asymptote is linear and |f − asymptote| decreases), so
 *     sup |A(X)/2^(s+w) − f(X/2^s)|
 * is measured, not estimated. The input's own error e_x adds L·e_x (L = sup |f'|), the final
 * rescale its rounding.
 */
import { ZkmlError } from '../../errors';
import type { IrNode } from '../../formats/graph';
import type { SegmentTable } from '../../formats/quantized-model';
import { bitsForSpan } from '../fixed-point';
import { chooseGadget, gadgetConstraints, segmentConstraints } from '../bounds';
import { imageOf, Line, ScalarFunction } from '../../onnx/ops/smooth';
import type { LowerContext, RowDraft, VarTensor } from '../context';
import { roundShift } from '../fixed-point';
import { effectiveWeightBits, magnitudeExponent } from '../scales';
import { toCoefficient } from './coefficient';
import { tightenBounds } from './minmax';
import { emptyRow, finishRescaled } from './terms';

/** Target worst-case |G − f| on the function value: one place to trade accuracy for constraints. */
export const PWL_TARGET_ERROR = 2 ** -8;
/** At most this many segments between the asymptotes (each breakpoint costs m + 2 per element). */
export const PWL_MAX_SEGMENTS = 16;

/** Per compile target: the approximation error aimed at and the segment budget. */
const PWL_TARGETS = {
  balanced: {},
  accuracy: { target: PWL_TARGET_ERROR / 4, maxSegments: 2 * PWL_MAX_SEGMENTS },
  resources: { target: PWL_TARGET_ERROR * 4, maxSegments: PWL_MAX_SEGMENTS / 2 },
} as const;

/** Exhaustive error sweeps up to this many grid points. */
const EXHAUSTIVE_POINTS = 1 << 18;
/** Where tail thresholds are searched from. */
const FAR = 64;

export interface PwlFit {
  /** Input scale s: x = X / 2^s. */
  inScale: number;
  /** Coefficient scale w: the accumulator is at s + w. */
  coefScale: number;
  bias: bigint;
  /** Coefficient of X (the slope left of every breakpoint). */
  slope: bigint;
  /** Breakpoints T (integers at scale s) and slope increments D (at scale w). */
  breaks: Array<{ t: bigint; d: bigint }>;
  /** Segments between the asymptotes. */
  segments: number;
  /** sup over the integer range of |A(X)/2^(s+w) − f(X/2^s)|. */
  error: number;
  /** Signed extremes of A(X)/2^(s+w) − f(X/2^s), before the error's safety margin. */
  minDev: number;
  maxDev: number;
  /** Proven range of A(X) over the integer range. */
  range: { lo: bigint; hi: bigint };
}

const line = (l: Line, x: number) => l.slope * x + l.intercept;

/** The threshold beyond which |f − asymptote| <= tol, searched inward from ±FAR on a 1/64 grid. */
function tailThreshold(fn: ScalarFunction, l: Line, side: -1 | 1, tol: number): number {
  const step = 1 / 64;
  let x = side * FAR;
  while (Math.abs(x) <= FAR && Math.abs(fn.f(x) - line(l, x)) <= tol) x -= side * step;
  return x + side * step;
}

/** The integer function the circuit computes, before the final rescale. */
export function evalPwl(fit: PwlFit, X: bigint): bigint {
  let a = fit.bias + fit.slope * X;
  for (const { t, d } of fit.breaks) if (X > t) a += d * (X - t);
  return a;
}

/** Signed extreme of f − chord over the grid points strictly inside (A, B). */
function chordDeviation(f: (T: number) => number, A: number, B: number, fa: number, fb: number): number {
  const inner = B - A - 1;
  if (inner <= 0) return 0;
  const samples = Math.min(inner, 96);
  let worst = 0;
  for (let i = 1; i <= samples; i++) {
    const T = inner <= 96 ? A + i : A + Math.round((i * (B - A)) / (samples + 1));
    const chord = fa + ((fb - fa) * (T - A)) / (B - A);
    const dev = f(T) - chord;
    if (Math.abs(dev) > Math.abs(worst)) worst = dev;
  }
  return worst;
}

export interface PwlOptions {
  target?: number;
  maxSegments?: number;
  /** Shift the whole approximation by the mean of its extreme deviations (halves one-sided errors). */
  center?: boolean;
  /** Clamp every slope at >= 0, so G is nondecreasing (for a nondecreasing f; the error is still measured). */
  nondecreasing?: boolean;
  /** Signed bits of the largest slope (the compile setting weightBits); more are used when the range needs them. */
  weightBits?: number;
}

/** Fits f over the integer interval [lo, hi] of an input at scale s. */
export function fitPwl(fn: ScalarFunction, lo: bigint, hi: bigint, s: number, options: PwlOptions = {}): PwlFit {
  const target = options.target ?? PWL_TARGET_ERROR;
  const maxSegments = options.maxSegments ?? PWL_MAX_SEGMENTS;
  const unit = 2 ** s;
  const loN = Number(lo);
  const hiN = Number(hi);
  const fx = (T: number) => fn.f(T / unit);

  // Core range between the asymptotes, on the grid.
  const a = fn.left ? tailThreshold(fn, fn.left, -1, target / 4) : -Infinity;
  const b = fn.right ? tailThreshold(fn, fn.right, 1, target / 4) : Infinity;
  const leftTail = fn.left !== undefined && loN / unit < a;
  const rightTail = fn.right !== undefined && hiN / unit > b;
  const clampN = (v: number) => Math.min(hiN, Math.max(loN, v));
  const Tcl = leftTail ? clampN(Math.floor(a * unit)) : loN;
  const Tch = Math.max(Tcl, rightTail ? clampN(Math.ceil(b * unit)) : hiN);
  const value = (T: number) => (T === Tcl && leftTail ? line(fn.left!, T / unit) : T === Tch && rightTail ? line(fn.right!, T / unit) : fx(T));

  // Greedy nodes: each segment as long as its chord deviates at most `tol` from f.
  const greedy = (tol: number): number[] => {
    const nodes = [Tcl];
    let cur = Tcl;
    while (cur < Tch && nodes.length - 1 <= maxSegments) {
      let good = cur + 1;
      let bad = Tch + 1;
      if (Math.abs(chordDeviation(fx, cur, Tch, value(cur), value(Tch))) <= tol) good = Tch;
      else {
        while (bad - good > 1) {
          const mid = Math.floor((good + bad) / 2);
          if (Math.abs(chordDeviation(fx, cur, mid, value(cur), value(mid))) <= tol) good = mid;
          else bad = mid;
        }
      }
      nodes.push(good);
      cur = good;
    }
    return nodes;
  };

  const cache: { values?: Float64Array } = {};
  const build = (nodes: number[]): PwlFit => {
    const segments = nodes.length - 1;
    // Balance each chord: move nodes by half the adjacent chords' deviation (not the asymptote anchors).
    const devs = nodes.slice(1).map((B, k) => chordDeviation(fx, nodes[k], B, value(nodes[k]), value(B)));
    const values = nodes.map((T, k) => {
      if ((k === 0 && leftTail) || (k === segments && rightTail)) return value(T);
      const adjacent = [devs[k - 1], devs[k]].filter((d) => d !== undefined);
      return value(T) + (adjacent.length ? adjacent.reduce((p, q) => p + q, 0) / adjacent.length / 2 : 0);
    });
    // Slopes (output per input unit): left tail, segments, right tail.
    const segSlopes = nodes.slice(1).map((B, k) => (values[k + 1] - values[k]) / ((B - nodes[k]) / unit));
    const sLeft = leftTail ? fn.left!.slope : (segSlopes[0] ?? (rightTail ? fn.right!.slope : 0));
    const sRight = rightTail ? fn.right!.slope : (segSlopes[segments - 1] ?? sLeft);
    const slopes = [sLeft, ...segSlopes, sRight].map((v) => (options.nondecreasing ? Math.max(0, v) : v));
    const span = Math.max(Tch - Tcl, 1) / unit;
    // Slope rounding drifts G by at most span · 2^-(w+1): keep that below target / 16.
    const maxSlope = slopes.reduce((p, v) => Math.max(p, Math.abs(v)), 0);
    const byWeight = maxSlope > 0 ? (options.weightBits ?? 12) - 1 - magnitudeExponent(maxSlope) : 0;
    let w = Math.max(0, byWeight, Math.ceil(Math.log2((8 * span) / target)));
    // A tail slope that is not exact at 2^-w drifts over the whole tail (e.g. Selu's gamma).
    const extent = Math.max(Math.abs(loN), Math.abs(hiN)) / unit;
    for (const [tail, v] of [
      [leftTail, sLeft],
      [rightTail, sRight],
    ] as const) {
      if (tail && !Number.isInteger(v * 2 ** w)) w = Math.max(w, Math.ceil(Math.log2((8 * extent) / target)));
    }
    w = Math.min(32, w);
    const Q = slopes.map((v) => toCoefficient(v, w));
    const breaks: Array<{ t: bigint; d: bigint }> = [];
    nodes.forEach((T, k) => {
      const d = Q[k + 1] - Q[k];
      if (d !== 0n) breaks.push({ t: BigInt(T), d });
    });
    const acc = s + w;
    // Anchor the middle node exactly; slope rounding then drifts both ways from it.
    const m = Math.floor(nodes.length / 2);
    const fit: PwlFit = { inScale: s, coefScale: w, bias: 0n, slope: Q[0], breaks, segments, error: 0, minDev: 0, maxDev: 0, range: { lo: 0n, hi: 0n } };
    fit.bias = toCoefficient(values[m], acc) - evalPwl(fit, BigInt(nodes[m]));
    measure(fn, fit, lo, hi, Tcl, Tch, leftTail, rightTail, cache);
    if (options.center) {
      fit.bias -= toCoefficient((fit.minDev + fit.maxDev) / 2, acc);
      measure(fn, fit, lo, hi, Tcl, Tch, leftTail, rightTail, cache);
    }
    return fit;
  };

  // The loosest chord tolerance whose measured error meets the target within maxSegments; failing
  // that, the most accurate fit within maxSegments.
  let best: PwlFit | undefined;
  for (let i = 0, tol = 4 * target; i < 40; i++, tol *= 0.9) {
    const nodes = greedy(tol);
    if (nodes.length - 1 > maxSegments) break;
    const fit = build(nodes);
    if (!best || fit.error < best.error) best = fit;
    if (fit.error <= target) return fit;
  }
  if (best) return best;
  for (let tol = 4 * target; ; tol *= 1.25) {
    const nodes = greedy(tol);
    if (nodes.length - 1 <= maxSegments) return build(nodes);
  }
}

/** Extremes over a grid: of A(X), and of A(X)/2^(s+w) − f(X/2^s). */
interface SweepExtremes {
  lowA: number;
  highA: number;
  lowDev: number;
  highDev: number;
}

/**
 * The extremes over the grid wLo + i·step (f's values in fv), walking the grid and the breakpoints
 * together: between breakpoints A(X) = bias + S·X − C, with S and C the sums of slope and d·t over
 * the breakpoints passed, so a point costs O(1) instead of O(breakpoints). In doubles, exact while
 * every term stays below 2^52 (the caller checks). Its own function so that the hot loop is optimised
 * on its own.
 */
function sweepExact(fit: PwlFit, fv: Float64Array, wLo: number, step: number, accUnit: number): SweepExtremes {
  const sorted = [...fit.breaks].sort((p, q) => (p.t < q.t ? -1 : p.t > q.t ? 1 : 0));
  const ts = Float64Array.from(sorted, (b) => Number(b.t));
  const ds = Float64Array.from(sorted, (b) => Number(b.d));
  const bias = Number(fit.bias);
  let lowA = Infinity;
  let highA = -Infinity;
  let lowDev = Infinity;
  let highDev = -Infinity;
  let k = 0;
  let S = Number(fit.slope);
  let C = 0;
  let next = ts.length > 0 ? ts[0] : Infinity;
  for (let i = 0; i < fv.length; i++) {
    const X = wLo + i * step;
    while (X > next) {
      S += ds[k];
      C += ds[k] * ts[k];
      k++;
      next = k < ts.length ? ts[k] : Infinity;
    }
    const A = bias + S * X - C;
    if (A < lowA) lowA = A;
    if (A > highA) highA = A;
    const d = A / accUnit - fv[i];
    if (d < lowDev) lowDev = d;
    if (d > highDev) highDev = d;
  }
  return { lowA, highA, lowDev, highDev };
}

/**
 * The same extremes past 2^52, in bigints: A steps by S·step between breakpoints and is recomputed
 * exactly where one is passed; each A is rounded to a double, as evalPwl's value would be.
 */
function sweepBig(fit: PwlFit, fv: Float64Array, wLo: number, step: number, accUnit: number): SweepExtremes {
  const sorted = [...fit.breaks].sort((p, q) => (p.t < q.t ? -1 : p.t > q.t ? 1 : 0));
  const stepB = BigInt(step);
  let lowA = Infinity;
  let highA = -Infinity;
  let lowDev = Infinity;
  let highDev = -Infinity;
  let k = 0;
  let S = fit.slope;
  let A = 0n;
  for (let i = 0; i < fv.length; i++) {
    const X = BigInt(wLo + i * step);
    if (i === 0 || (k < sorted.length && X > sorted[k].t)) {
      while (k < sorted.length && X > sorted[k].t) S += sorted[k++].d;
      A = evalPwl(fit, X);
    } else A += S * stepB;
    const a = Number(A);
    if (a < lowA) lowA = a;
    if (a > highA) highA = a;
    const d = a / accUnit - fv[i];
    if (d < lowDev) lowDev = d;
    if (d > highDev) highDev = d;
  }
  return { lowA, highA, lowDev, highDev };
}

/** Sets fit.error, minDev, maxDev: the worst deviation over every integer of [lo, hi]. */
function measure(fn: ScalarFunction, fit: PwlFit, lo: bigint, hi: bigint, Tcl: number, Tch: number, leftTail: boolean, rightTail: boolean, cache: { values?: Float64Array } = {}): void {
  const unit = 2 ** fit.inScale;
  const accUnit = 2 ** (fit.inScale + fit.coefScale);
  // Doubles when every partial sum stays below 2^52 (exact), bigints otherwise.
  const maxX = Math.max(Math.abs(Number(lo)), Math.abs(Number(hi)));
  let magnitude = Math.abs(Number(fit.bias)) + Math.abs(Number(fit.slope)) * maxX;
  for (const { t, d } of fit.breaks) magnitude += Math.abs(Number(d)) * (maxX + Math.abs(Number(t)));
  const ts = fit.breaks.map((b) => Number(b.t));
  const ds = fit.breaks.map((b) => Number(b.d));
  const bias = Number(fit.bias);
  const slope = Number(fit.slope);
  const exact = (X: number) => {
    let a = bias + slope * X;
    for (let k = 0; k < ts.length; k++) if (X > ts[k]) a += ds[k] * (X - ts[k]);
    return a;
  };
  const intValue = magnitude < 2 ** 52 ? exact : (X: number) => Number(evalPwl(fit, BigInt(X)));
  let minA = Infinity;
  let maxA = -Infinity;
  const dev = (X: number, f = fn.f(X / unit)) => {
    const A = intValue(X);
    minA = Math.min(minA, A);
    maxA = Math.max(maxA, A);
    return A / accUnit - f;
  };
  let minDev = Infinity;
  let maxDev = -Infinity;
  const see = (d: number) => {
    minDev = Math.min(minDev, d);
    maxDev = Math.max(maxDev, d);
  };
  let widen = 0;
  let slack = 0;
  const loN = Number(lo);
  const hiN = Number(hi);
  // The window swept point by point (or sampled); beyond it only asymptote tails remain.
  const margin = EXHAUSTIVE_POINTS / 4;
  const wLo = leftTail ? Math.max(loN, Tcl - margin) : loN;
  const wHi = rightTail ? Math.min(hiN, Tch + margin) : hiN;
  const points = wHi - wLo + 1;
  const step = Math.ceil(points / EXHAUSTIVE_POINTS);
  const count = Math.floor((wHi - wLo) / step) + 1;
  if (cache.values === undefined || cache.values.length !== count) {
    cache.values = new Float64Array(count);
    for (let i = 0; i < count; i++) cache.values[i] = fn.f((wLo + i * step) / unit);
  }
  const fv = cache.values;
  const { lowA, highA, lowDev, highDev } = (magnitude < 2 ** 52 ? sweepExact : sweepBig)(fit, fv, wLo, step, accUnit);
  minA = Math.min(minA, lowA);
  maxA = Math.max(maxA, highA);
  see(lowDev);
  see(highDev);
  if (step > 1) {
    see(dev(wHi));
    for (const { t } of fit.breaks) if (Number(t) >= wLo && Number(t) <= wHi) see(dev(Number(t)));
    // Between samples: |dev| moves by at most (step/2)·(L_f + L_G) / 2^s, A by (step/2)·max slope.
    let slopeG = Number(fit.slope);
    let maxSlope = Math.abs(slopeG);
    for (const { d } of fit.breaks) {
      slopeG += Number(d);
      maxSlope = Math.max(maxSlope, Math.abs(slopeG));
    }
    slack = ((step / 2) * (fn.lipschitz(loN / unit, hiN / unit) + maxSlope / 2 ** fit.coefScale)) / unit;
    widen = maxSlope * Math.ceil(step / 2);
  }
  // Far tails: G is linear there, so |G − line| peaks at an end; |f − line| peaks at the inner end.
  const tail = (from: number, to: bigint, l: Line) => {
    const gl = (X: bigint) => {
      const A = Number(evalPwl(fit, X));
      minA = Math.min(minA, A);
      maxA = Math.max(maxA, A);
      return A / accUnit - line(l, Number(X) / unit);
    };
    const inner = fn.f(from / unit) - line(l, from / unit);
    const worst = Math.max(Math.abs(gl(BigInt(from))), Math.abs(gl(to))) + Math.abs(inner);
    see(worst);
    see(-worst);
  };
  if (wLo > loN) tail(wLo, lo, fn.left!);
  if (wHi < hiN) tail(wHi, hi, fn.right!);
  fit.minDev = minDev;
  fit.maxDev = maxDev;
  // G is linear in the far tails, so their ends bound it there; in between, samples ± widen. Past
  // 2^52 the doubles carry a relative error below 2^-52: widen by 2^-50 of the magnitude.
  const roundoff = (v: number) => (magnitude < 2 ** 52 ? 0 : (Math.abs(v) + widen) * 2 ** -50 + 1);
  // The range of A is exact (pwlRange); the sampled one bounds it (a check that the two agree).
  fit.range = pwlRange(fit, lo, hi);
  if (fit.range.lo < BigInt(Math.floor(minA - widen - roundoff(minA))) || fit.range.hi > BigInt(Math.ceil(maxA + widen + roundoff(maxA)))) {
    throw new ZkmlError('INTERNAL', 'piecewise-linear range outside its samples');
  }
  // Doubles: relative rounding of the evaluations, far below the bits that matter.
  fit.error = Math.max(Math.abs(minDev), Math.abs(maxDev)) + slack + 1e-12;
}

/**
 * The exact range of A(X) over the integers of [lo, hi]: A is linear between its breakpoints, so its
 * extremes are at lo, hi or a breakpoint inside (evaluated in bigints, no sampling, no slack).
 */
export function pwlRange(fit: PwlFit, lo: bigint, hi: bigint): { lo: bigint; hi: bigint } {
  let min = evalPwl(fit, lo);
  let max = min;
  for (const X of [hi, ...fit.breaks.map((b) => b.t).filter((t) => t > lo && t < hi)]) {
    const a = evalPwl(fit, X);
    if (a < min) min = a;
    if (a > max) max = a;
  }
  return { lo: min, hi: max };
}

/**
 * The fit as consecutive segments of [lo, hi] with one line each: relu(X − t) is active for
 * X >= t + 1, so the lines change after each breakpoint. The same integer function A(X), exactly.
 */
export function segmentTable(fit: PwlFit, lo: bigint, hi: bigint): SegmentTable {
  const table: SegmentTable = { lo: [lo], hi: [], alpha: [fit.bias], beta: [fit.slope] };
  let alpha = fit.bias;
  let beta = fit.slope;
  for (const { t, d } of fit.breaks) {
    alpha -= d * t;
    beta += d;
    if (t < lo) {
      // Active over the whole range: folded into the first line.
      table.alpha[0] = alpha;
      table.beta[0] = beta;
      continue;
    }
    if (t >= hi) continue; // never active on the range
    const last = table.lo.length - 1;
    if (t < table.lo[last]) throw new ZkmlError('INTERNAL', 'piecewise-linear breakpoints out of order');
    table.hi.push(t);
    table.lo.push(t + 1n);
    table.alpha.push(alpha);
    table.beta.push(beta);
  }
  table.hi.push(hi);
  return table;
}

/** Constraints of n elements by segment selection (circuits/segment.circom). */
function segmentCost(table: SegmentTable, n: number): number {
  let widest = 0n;
  table.lo.forEach((l, j) => (widest = table.hi[j] - l > widest ? table.hi[j] - l : widest));
  return (
    n *
    segmentConstraints(
      table.lo.length,
      bitsForSpan(widest),
      table.beta.every((v) => v === table.beta[0]),
    )
  );
}

/** Constraints of the relus x − t_k, from each element's own range (a relu that cannot change sign is free). */
function reluCost(ctx: LowerContext, x: VarTensor, fit: PwlFit): number {
  let cost = 0;
  for (const b of ctx.bounds[x.id]) {
    for (const { t } of fit.breaks) cost += gadgetConstraints(chooseGadget({ lo: b.lo - t, hi: b.hi - t }, 0, true, 'relu').gadget);
  }
  return cost;
}

/** One row per element reading x with coefficient 1: a segment layer's input. */
function segmentRows(x: VarTensor, n: number): RowDraft[] {
  return Array.from({ length: n }, (_, j) => {
    const row = emptyRow();
    row.terms.push([x.id, j, 1n]);
    return row;
  });
}

export interface PwlLowering {
  out: VarTensor;
  fit: PwlFit;
  /** The output integer for input integer X (the circuit's exact value). */
  evalInt(X: bigint): bigint;
}

/**
 * Lowers y = f(x) elementwise for the variable x. With `outScale` the result is rescaled there and
 * named `outName` (and with `relu`, clamped at 0: for f >= 0 that only brings G closer to f);
 * without, it ends like a linear op (finishRescaled: calibrated scale, fused Relu).
 */
export function lowerPwl(
  ctx: LowerContext,
  node: IrNode,
  x: VarTensor,
  fn: ScalarFunction,
  outName: string,
  options: PwlOptions & { outScale?: number; exactInput?: boolean; relu?: boolean } = {},
): PwlLowering {
  const n = ctx.tensors[x.id].size;
  const bounds = ctx.bounds[x.id];
  let lo = bounds[0].lo;
  let hi = bounds[0].hi;
  for (const b of bounds) {
    if (b.lo < lo) lo = b.lo;
    if (b.hi > hi) hi = b.hi;
  }
  const fit = fitPwl(fn, lo, hi, x.scaleBits, { weightBits: effectiveWeightBits(ctx.settings), ...PWL_TARGETS[ctx.settings.target], ...options });
  // exactInput: the caller takes f of the integer input itself as the reference (and accounts for x's error).
  const inputError = (j: number) => (options.exactInput ? 0 : ctx.error(x, j));
  let maxInputError = 0;
  for (let j = 0; j < n; j++) maxInputError = Math.max(maxInputError, inputError(j));
  const unit = 2 ** x.scaleBits;
  const L = fn.lipschitz(Number(lo) / unit - maxInputError, Number(hi) / unit + maxInputError);
  // Where the exact float input lies (the caller's reference is f of the integer input itself with exactInput).
  const floatIn = options.exactInput ? { lo: Number(lo) / unit, hi: Number(hi) / unit } : ctx.floatInterval(x);
  const cap = rangeCap(fn, { lo: Number(lo) / unit, hi: Number(hi) / unit }, floatIn);
  // The input's error carried through f: L·e, or f's own modulus of continuity where it has one,
  // and never more than f's spread over where both inputs lie (rangeCap).
  const carried = (e: number) => (e === 0 ? 0 : Math.min(cap, fn.propagate ? fn.propagate(e, Number(lo) / unit, Number(hi) / unit) : L * e));
  if (!Number.isFinite(carried(maxInputError)) || !Number.isFinite(fit.error)) {
    throw new ZkmlError('ONNX_UNSUPPORTED_OP', `node '${node.name}' (${node.opType}): ${fn.name} has no finite error bound over the input's range`, { node: node.name });
  }
  const K = fit.breaks.length;
  const table = segmentTable(fit, lo, hi);
  const segments =
    K > 0 && segmentCost(table, n) < reluCost(ctx, x, fit)
      ? ctx.addLayer(node, `${outName}#${fn.name}.segments`, x.shape, segmentRows(x, n), x.scaleBits + fit.coefScale, 0, false, undefined, undefined, table)
      : undefined;
  let r: VarTensor | undefined;
  if (K > 0 && !segments) {
    const reluRows: RowDraft[] = [];
    for (let j = 0; j < n; j++) {
      for (const { t } of fit.breaks) {
        const row = emptyRow();
        row.bias = -t;
        row.terms.push([x.id, j, 1n]);
        row.error = ctx.error(x, j);
        reluRows.push(row);
      }
    }
    r = ctx.addLayer(node, `${outName}#${fn.name}.relu`, [n, K], reluRows, x.scaleBits, 0, true);
  }
  const rows = Array.from({ length: n }, (_, j) => {
    const row = emptyRow();
    if (segments) row.terms.push([segments.id, j, 1n]);
    else {
      row.bias = fit.bias;
      if (fit.slope !== 0n) row.terms.push([x.id, j, fit.slope]);
      fit.breaks.forEach(({ d }, k) => row.terms.push([r!.id, j * K + k, d]));
    }
    row.error = fit.error + carried(inputError(j));
    return row;
  });
  const accScale = x.scaleBits + fit.coefScale;
  let out: VarTensor;
  let shift: number;
  if (options.outScale !== undefined) {
    shift = Math.max(0, accScale - options.outScale);
    out = ctx.addLayer(node, outName, x.shape, rows, accScale, shift, options.relu === true);
  } else {
    out = finishRescaled(ctx, node, x.shape, rows, accScale);
    shift = accScale - out.scaleBits;
  }
  // Every element's accumulator is A(X_j) with X_j in [lo, hi]: interval arithmetic over the
  // relus forgets that they share one X, the measured range of A does not.
  const relu = ctx.layers[ctx.layers.length - 1].relu;
  const q = (v: bigint) => {
    const r = roundShift(v, shift);
    return relu && r < 0n ? 0n : r;
  };
  for (let j = 0; j < n; j++) tightenBounds(ctx, out, j, q(fit.range.lo), q(fit.range.hi));
  // The exact float output is f of the exact float input: in f's image of floatIn (relu'd when fused).
  const image = options.exactInput ? undefined : imageOf(fn, floatIn.lo, floatIn.hi);
  if (image) ctx.setFloatRange(out, relu ? { lo: Math.max(0, image.lo), hi: Math.max(0, image.hi) } : image);
  return { out, fit, evalInt: (X) => roundShift(evalPwl(fit, X), shift) };
}

/**
 * The range cap on the error f carries: the quantized input x̂ lies in `quantized` and the exact
 * float input x in `float`, so both lie in their hull H, and |f(x̂) − f(x)| <= sup_H f − inf_H f
 * however large |x̂ − x| may be (1/√(v + ε) of a variance near 0: L·e is ~1e7·e, the spread at most
 * 1/√ε). Sound only where f is what the float model computes on all of H: f is total on the reals
 * for every function here except where the lowering refused or clamped the input to the domain
 * (math.ts); an image that is not finite (H reaches outside the domain, a pole) gives no cap.
 */
export function rangeCap(fn: ScalarFunction, quantized: { lo: number; hi: number }, float: { lo: number; hi: number }): number {
  const image = imageOf(fn, Math.min(quantized.lo, float.lo), Math.max(quantized.hi, float.hi));
  return image ? image.hi - image.lo : Infinity;
}
