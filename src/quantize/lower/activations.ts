/**
 * Exact piecewise-linear activations from relus (each relu at shift 0 is a sign decomposition,
 * m + 2 constraints; at shift k it is a rescale fused with the relu, k + m + 2):
 *   Clip(x, lo, hi)     = lo + relu(x − lo) − relu(x − hi)          (2 relus; 1 with one bound)
 *   HardSigmoid(x)      = clip(αx + β, 0, 1), the rescale fused into both relus
 *   HardSwish(x)        = x · HardSigmoid_{1/6, 1/2}(x)             (+ 1 product and a rescale)
 *   LeakyRelu / PRelu   = αx + (1 − α)·relu(x)                      (1 relu + a rescale)
 *   Abs(x)              = 2·relu(x) − x                             (1 relu)
 */
import { ZkmlError } from '../../errors';
import type { FloatTensor, IrNode } from '../../formats/graph';
import { sizeOf } from '../../formats/graph';
import { clipBounds, hardSigmoidParams, leakyAlpha } from '../../onnx/ops/activations';
import { broadcastIndexMap } from '../../onnx/tensor';
import { accumulatorInterval } from '../bounds';
import type { LowerContext, RowDraft, VarTensor } from '../context';
import { roundShift } from '../fixed-point';
import { activationScale, weightScale } from '../scales';
import type { ParamTensor } from '../params';
import { toCoefficient } from './coefficient';
import { setError, tightenBounds } from './minmax';
import { addConstant, addProduct, addWeightedTerm, emptyRow, finishRescaled, slot } from './terms';

const bmax = (a: bigint, b: bigint) => (a > b ? a : b);
const bmin = (a: bigint, b: bigint) => (a < b ? a : b);

/**
 * y = clip(round(L / 2^k), lo, hi) per element, where L are rows at `accScale` and the output sits at
 * outScale = accScale − k. lo and hi are rounded to the output scale, so
 *     relu(round(L/2^k) − lo') = relu(round((L − lo'·2^k) / 2^k))
 * is one fused rescale-and-relu, and both relus round L the same way: y is exactly clip of one
 * rounding. clip is 1-Lipschitz in the value and in both bounds, so
 *     |y − clip(v, lo, hi)| <= max(e_L + rounding, |lo' − lo|, |hi' − hi|).
 * A bound that no element can reach is dropped (a relu that cannot fire is free anyway).
 */
export function lowerClamp(
  ctx: LowerContext,
  node: IrNode,
  outName: string,
  shape: number[],
  rows: RowDraft[],
  accScale: number,
  outScale: number,
  lo: number | undefined,
  hi: number | undefined,
): VarTensor {
  const k = Math.max(0, accScale - outScale);
  const out = accScale - k;
  const rounding = k > 0 ? 2 ** -(out + 1) : 0;
  const acc = rows.map((r) => accumulatorInterval(r, ctx.bounds, ctx.paramBounds));
  const q = acc.map((a) => ({ lo: roundShift(a.lo, k), hi: roundShift(a.hi, k) }));
  const quant = (v: number | undefined) => (v === undefined ? undefined : toCoefficient(v, out));
  let loQ = quant(lo);
  let hiQ = quant(hi);
  if (loQ !== undefined && q.every((iv) => iv.lo >= loQ!)) loQ = undefined;
  if (hiQ !== undefined && q.every((iv) => iv.hi <= hiQ!)) hiQ = undefined;
  const dLo = loQ === undefined ? 0 : Math.abs(Number(loQ) / 2 ** out - lo!);
  const dHi = hiQ === undefined ? 0 : Math.abs(Number(hiQ) / 2 ** out - hi!);
  const shifted = (r: RowDraft, c: bigint, sign: 1n | -1n): RowDraft => ({
    bias: sign * (r.bias - (c << BigInt(k))),
    terms: r.terms.map(([t, i, coef]) => [t, i, sign * coef]),
    products: sign === 1n ? r.products : [],
    error: r.error,
  });

  // The float model clips too: its exact value lies in [lo, hi], which caps the error (setFloatRange).
  const clipped = (y: VarTensor): VarTensor => {
    if (lo !== undefined && hi !== undefined) ctx.setFloatRange(y, { lo, hi });
    return y;
  };
  if (loQ === undefined && hiQ === undefined) {
    return clipped(ctx.addLayer(node, outName, shape, rows, accScale, k, false));
  }
  const n = rows.length;
  const reluRows: RowDraft[] = [];
  if (hiQ !== undefined && loQ === undefined) {
    // y = hi' − relu(round((hi'·2^k − L) / 2^k)) = min(hi', −round(−L/2^k)).
    if (rows.some((r) => r.products.length > 0)) throw new ZkmlError('INTERNAL', `node '${node.name}': an upper clamp alone cannot negate products`);
    rows.forEach((r) => reluRows.push(shifted(r, hiQ!, -1n)));
  } else {
    rows.forEach((r) => reluRows.push(shifted(r, loQ!, 1n)));
    if (hiQ !== undefined) rows.forEach((r) => reluRows.push(shifted(r, hiQ!, 1n)));
  }
  const u = ctx.addLayer(node, `${outName}#clamp.relu`, [reluRows.length], reluRows, accScale, k, true);
  const yRows = rows.map((r, j) => {
    const row = emptyRow();
    if (loQ !== undefined) {
      row.bias = loQ;
      row.terms.push([u.id, j, 1n]);
      if (hiQ !== undefined) row.terms.push([u.id, n + j, -1n]);
    } else {
      row.bias = hiQ!;
      row.terms.push([u.id, j, -1n]);
    }
    row.error = Math.max(r.error + rounding, dLo, dHi);
    return row;
  });
  const y = ctx.addLayer(node, outName, shape, yRows, out, 0, false);
  yRows.forEach((row, j) => {
    // y is exactly the clip of q (or of q' = −round(−L/2^k) when only hi is set).
    const qj = loQ === undefined ? { lo: -roundShift(-acc[j].lo, k), hi: -roundShift(-acc[j].hi, k) } : q[j];
    const clip = (v: bigint) => {
      const a = loQ === undefined ? v : bmax(v, loQ);
      return hiQ === undefined ? a : bmin(a, hiQ);
    };
    tightenBounds(ctx, y, j, clip(qj.lo), clip(qj.hi));
    setError(ctx, y, j, row.error);
  });
  return clipped(y);
}

function identityRows(ctx: LowerContext, x: VarTensor): RowDraft[] {
  return Array.from({ length: ctx.tensors[x.id].size }, (_, j) => {
    const row = emptyRow();
    addWeightedTerm(ctx, row, x, j, 1, x.scaleBits);
    return row;
  });
}

/** αx + β at a scale where α is a weight. */
function affineRows(ctx: LowerContext, x: VarTensor, alpha: number, beta: number): { rows: RowDraft[]; accScale: number } {
  const accScale = x.scaleBits + weightScale(Float64Array.of(alpha), ctx.settings);
  const rows = Array.from({ length: ctx.tensors[x.id].size }, (_, j) => {
    const row = emptyRow();
    addWeightedTerm(ctx, row, x, j, alpha, accScale);
    addConstant(row, beta, accScale);
    return row;
  });
  return { rows, accScale };
}

function lowerClip(node: IrNode, ctx: LowerContext): void {
  const x = ctx.variable(node.inputs[0])!;
  const consts: Array<FloatTensor | undefined> = node.inputs.map((n) => ctx.constant(n));
  const { lo, hi } = clipBounds(node, consts);
  lowerClamp(ctx, node, node.outputs[0], x.shape, identityRows(ctx, x), x.scaleBits, x.scaleBits, lo, hi);
}

function lowerHardSigmoid(node: IrNode, ctx: LowerContext): void {
  const x = ctx.variable(node.inputs[0])!;
  const { alpha, beta } = hardSigmoidParams(node);
  const { rows, accScale } = affineRows(ctx, x, alpha, beta);
  lowerClamp(ctx, node, node.outputs[0], x.shape, rows, accScale, ctx.targetScale(node.outputs[0]), 0, 1);
}

function lowerHardSwish(node: IrNode, ctx: LowerContext): void {
  const x = ctx.variable(node.inputs[0])!;
  const { alpha, beta } = hardSigmoidParams(node);
  const { rows, accScale } = affineRows(ctx, x, alpha, beta);
  const h = lowerClamp(ctx, node, `${node.outputs[0]}#hardsigmoid`, x.shape, rows, accScale, activationScale(1, ctx.settings), 0, 1);
  const products = Array.from({ length: rows.length }, (_, j) => {
    const row = emptyRow();
    addProduct(ctx, row, x, j, h, j);
    return row;
  });
  finishRescaled(ctx, node, x.shape, products, x.scaleBits + h.scaleBits);
}

/** LeakyRelu and PRelu: αx + (1 − α)·relu(x), α per element. */
function lowerLeaky(node: IrNode, ctx: LowerContext): void {
  const x = ctx.variable(node.inputs[0])!;
  const n = sizeOf(x.shape);
  let alphas: Float64Array;
  // PRelu's slope is a weight (private with private weights, as α and 1 − α); LeakyRelu's α an attribute.
  let slopeIndex = (j: number): number => j;
  let slopes: ParamTensor | undefined;
  let complements: ParamTensor | undefined;
  if (node.opType === 'PRelu') {
    const slope = ctx.constant(node.inputs[1])!;
    const map = broadcastIndexMap(slope.shape, x.shape);
    alphas = Float64Array.from({ length: n }, (_, j) => slope.data[map[j]]);
    slopeIndex = (j) => map[j];
    slopes = ctx.paramTensor(node, 'slope', slope.data.length);
    complements = ctx.paramTensor(node, 'one-minus-slope', slope.data.length);
  } else {
    alphas = new Float64Array(n).fill(leakyAlpha(node));
  }
  const r = ctx.addLayer(node, `${node.outputs[0]}#relu`, x.shape, identityRows(ctx, x), x.scaleBits, 0, true);
  const accScale = x.scaleBits + weightScale(Float64Array.from([...alphas, ...alphas.map((a) => 1 - a)]), ctx.settings);
  const rows = Array.from({ length: n }, (_, j) => {
    const row = emptyRow();
    addWeightedTerm(ctx, row, x, j, alphas[j], accScale, slot(slopes, slopeIndex(j)));
    addWeightedTerm(ctx, row, r, j, 1 - alphas[j], accScale, slot(complements, slopeIndex(j)));
    return row;
  });
  finishRescaled(ctx, node, x.shape, rows, accScale);
}

function lowerAbs(node: IrNode, ctx: LowerContext): void {
  const x = ctx.variable(node.inputs[0])!;
  const r = ctx.addLayer(node, `${node.outputs[0]}#relu`, x.shape, identityRows(ctx, x), x.scaleBits, 0, true);
  const rows = Array.from({ length: sizeOf(x.shape) }, (_, j) => {
    const row = emptyRow();
    row.terms.push([r.id, j, 2n], [x.id, j, -1n]);
    row.error = ctx.error(x, j); // |·| is 1-Lipschitz and 2·relu(x) − x is exact
    return row;
  });
  const y = ctx.addLayer(node, node.outputs[0], x.shape, rows, x.scaleBits, 0, false);
  rows.forEach((_, j) => {
    const b = ctx.bounds[x.id][j];
    const abs = (v: bigint) => (v < 0n ? -v : v);
    const lo = b.lo >= 0n ? b.lo : b.hi <= 0n ? -b.hi : 0n;
    tightenBounds(ctx, y, j, lo, bmax(abs(b.lo), abs(b.hi)));
  });
}

export function lowerActivation(node: IrNode, ctx: LowerContext): void {
  switch (node.opType) {
    case 'Clip':
      return lowerClip(node, ctx);
    case 'HardSigmoid':
      return lowerHardSigmoid(node, ctx);
    case 'HardSwish':
      return lowerHardSwish(node, ctx);
    case 'Abs':
      return lowerAbs(node, ctx);
    default:
      return lowerLeaky(node, ctx);
  }
}
