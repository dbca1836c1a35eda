/**
 * MaxPool, GlobalMaxPool, Max, Min, ReduceMax, ReduceMin → balanced trees of
 *     max(a, b) = a + relu(b − a),   min(a, b) = a − relu(a − b)
 * one relu layer (shift 0: a sign decomposition, m + 2 constraints) and one free linear layer per
 * tree level, so a window of k elements costs k − 1 relus at depth ceil(log2 k).
 *
 * The max is computed exactly on the integers, so its bounds are the max of the operands' bounds and
 * its error is the largest operand error (max is 1-Lipschitz in the sup norm). Interval arithmetic
 * on a + relu(b − a) would be looser (it forgets that the relu is exact), so those tight bounds and
 * errors are written over the analysis' result (tightenBounds, setError).
 */
import { ZkmlError } from '../../errors';
import type { IrNode } from '../../formats/graph';
import { sizeOf } from '../../formats/graph';
import { minMaxPlan } from '../../onnx/ops/minmax';
import type { LowerContext, RowDraft, VarTensor } from '../context';
import type { Interval } from '../../formats/quantized-model';
import { toCoefficient } from './coefficient';
import { emptyRow } from './terms';

/** An operand: element i of an integer tensor, or a float constant. */
export type Ref = { t: VarTensor; i: number } | { c: number };

const isVar = (r: Ref): r is { t: VarTensor; i: number } => 't' in r;
const bmax = (a: bigint, b: bigint) => (a > b ? a : b);
const bmin = (a: bigint, b: bigint) => (a < b ? a : b);

/**
 * Narrows the analysis' bounds of element i of v to [lo, hi]. Only for values that provably lie in
 * [lo, hi] for every satisfying witness (e.g. an exact max): later range checks are sized from these.
 */
export function tightenBounds(ctx: LowerContext, v: VarTensor, i: number, lo: bigint, hi: bigint): void {
  const b = ctx.bounds[v.id][i];
  const t = { lo: bmax(b.lo, lo), hi: bmin(b.hi, hi) };
  if (t.lo > t.hi) throw new ZkmlError('INTERNAL', `tightened bounds of ${ctx.tensors[v.id].name}[${i}] are empty`);
  ctx.bounds[v.id][i] = t;
}

/** Replaces the error bound of element i of v by a tighter one proven by the caller. */
export function setError(ctx: LowerContext, v: VarTensor, i: number, error: number): void {
  ctx.errors[v.id][i] = error;
}

/** The integer interval of a ref at `scale` (>= its own scale). */
function refInterval(ctx: LowerContext, r: Ref, scale: number): Interval {
  if (!isVar(r)) {
    const q = toCoefficient(r.c, scale);
    return { lo: q, hi: q };
  }
  const b = ctx.bounds[r.t.id][r.i];
  const k = BigInt(scale - r.t.scaleBits);
  return { lo: b.lo << k, hi: b.hi << k };
}

function refError(ctx: LowerContext, r: Ref, scale: number): number {
  if (!isVar(r)) return Math.abs(Number(toCoefficient(r.c, scale)) / 2 ** scale - r.c);
  return ctx.error(r.t, r.i);
}

/** Adds sign · ref to a row at `scale`, exactly (a power-of-two coefficient or a quantized constant). */
function addRef(row: RowDraft, r: Ref, sign: 1n | -1n, scale: number): void {
  if (!isVar(r)) {
    row.bias += sign * toCoefficient(r.c, scale);
    return;
  }
  row.terms.push([r.t.id, r.i, sign * (1n << BigInt(scale - r.t.scaleBits))]);
}

/**
 * out[g] = max (or min) of groups[g], as a balanced tree; the output tensor is `outName` with `shape`.
 * All operands are aligned to the finest scale among them (exact power-of-two coefficients).
 */
export function reduceTree(ctx: LowerContext, node: IrNode, outName: string, shape: number[], groups: Ref[][], kind: 'max' | 'min'): VarTensor {
  if (groups.length !== sizeOf(shape) || groups.some((g) => g.length === 0)) throw new ZkmlError('INTERNAL', `node '${node.name}': bad ${kind} groups`);
  const scale = Math.max(
    0,
    ...groups
      .flat()
      .filter(isVar)
      .map((r) => r.t.scaleBits),
  );
  let current = groups.map((g) => g.slice());
  const depth = Math.max(0, ...current.map((g) => Math.ceil(Math.log2(g.length))));
  if (depth === 0) {
    const rows = current.map(([r]) => {
      const row = emptyRow();
      addRef(row, r, 1n, scale);
      row.error = refError(ctx, r, scale);
      return row;
    });
    const out = ctx.addLayer(node, outName, shape, rows, scale, 0, false);
    current.forEach(([r], o) => {
      const iv = refInterval(ctx, r, scale);
      tightenBounds(ctx, out, o, iv.lo, iv.hi);
    });
    return out;
  }
  let out: VarTensor | undefined;
  for (let level = 0; level < depth; level++) {
    const last = level === depth - 1;
    // relu(b − a) for max, relu(a − b) for min, one row per pair.
    const dRows: RowDraft[] = [];
    for (const g of current) {
      for (let p = 0; p + 1 < g.length; p += 2) {
        const row = emptyRow();
        addRef(row, g[p + 1], kind === 'max' ? 1n : -1n, scale);
        addRef(row, g[p], kind === 'max' ? -1n : 1n, scale);
        row.error = refError(ctx, g[p], scale) + refError(ctx, g[p + 1], scale);
        dRows.push(row);
      }
    }
    const d = ctx.addLayer(node, `${outName}#${kind}${level}.relu`, [dRows.length], dRows, scale, 0, true);
    // a ± d per pair, a carried over for an odd one out.
    const rows: RowDraft[] = [];
    const tight: Array<{ iv: Interval; error: number }> = [];
    let di = 0;
    for (const g of current) {
      for (let p = 0; p < g.length; p += 2) {
        const row = emptyRow();
        addRef(row, g[p], 1n, scale);
        const a = refInterval(ctx, g[p], scale);
        const ea = refError(ctx, g[p], scale);
        if (p + 1 < g.length) {
          row.terms.push([d.id, di++, kind === 'max' ? 1n : -1n]);
          const b = refInterval(ctx, g[p + 1], scale);
          const eb = refError(ctx, g[p + 1], scale);
          const iv = kind === 'max' ? { lo: bmax(a.lo, b.lo), hi: bmax(a.hi, b.hi) } : { lo: bmin(a.lo, b.lo), hi: bmin(a.hi, b.hi) };
          tight.push({ iv, error: Math.max(ea, eb) });
        } else {
          tight.push({ iv: a, error: ea });
        }
        row.error = tight[tight.length - 1].error;
        rows.push(row);
      }
    }
    out = ctx.addLayer(node, last ? outName : `${outName}#${kind}${level}`, last ? shape : [rows.length], rows, scale, 0, false);
    const v = out;
    tight.forEach(({ iv }, o) => tightenBounds(ctx, v, o, iv.lo, iv.hi));
    let o = 0;
    current = current.map((g) => Array.from({ length: Math.ceil(g.length / 2) }, () => ({ t: v, i: o++ })));
  }
  return out!;
}

export function lowerMinMax(node: IrNode, ctx: LowerContext): void {
  const shapeOf = (n: string) => ctx.variable(n)?.shape ?? ctx.constant(n)!.shape;
  const plan = minMaxPlan(
    node,
    node.inputs.map(shapeOf),
    node.inputs.map((n) => ctx.constant(n)),
  );
  const groups = plan.sources.map((src) =>
    src.map(([k, i]): Ref => {
      const v = ctx.variable(node.inputs[k]);
      return v ? { t: v, i } : { c: ctx.constant(node.inputs[k])!.data[i] };
    }),
  );
  reduceTree(ctx, node, node.outputs[0], plan.outShape, groups, plan.kind);
}
