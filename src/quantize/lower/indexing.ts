/**
 * Indexing by values computed at run time (docs/logic.md, "Indices computed at run time"): Gather
 * and GatherElements with run-time indices, OneHot, and Cast of integer-valued tensors. The steps
 * below are shared by ScatterElements and ScatterND (./scatter), GatherND (./gather-scatter-nd)
 * and BitShift by a run-time amount (./bitshift).
 *
 * An index i (an integer at scale 0) over an axis of size n becomes an indicator vector:
 *  1. when i's static range is not inside [0, n), a range check that is also ONNX's wrap of
 *     negative indices: a Segment layer (circuits/segment.circom) with the segments [−n, −1] → i + n
 *     and [0, n − 1] → i, restricted — an index outside [−n, n) has no witness, so no proof exists for
 *     it (onnxruntime refuses it too). 2b + 2 constraints (b = bits of n − 1), 2b without the
 *     negative segment (equal slopes: the output is linear);
 *  2. bits b_k = [j = k] for k in [0, n): EqualsZero tests (2 constraints each), constant 0 where j's
 *     range excludes k; free when j is a bit (b_1 = j, b_0 = 1 − j). The j is in [0, n), so exactly
 *     one bit is 1;
 *  3. the selection Σ_k b_k·T[k]: linear (free) over a constant table, one product per candidate over
 *     a run-time one.
 * OneHot needs no range check: an index outside [−depth, depth) gives all `off` (the ONNX spec), which
 * the bits [i = k] + [i = k − depth] give as they are.
 *
 * Error: exact when the index carries no error; otherwise the selection may pick another entry near
 * a tie of the comparisons the index came from, which the bound charges (the candidates' spread).
 */
import { ZkmlError } from '../../errors';
import type { FloatTensor, IrNode } from '../../formats/graph';
import { sizeOf } from '../../formats/graph';
import type { SegmentTable } from '../../formats/quantized-model';
import { integerValued } from '../../onnx/integer-valued';
import { CAST_TARGETS } from '../../onnx/ops/shape-consts';
import { gatherElementsAxis, gatherElementsLines, oneHotPlan } from '../../onnx/ops/indexing';
import { normalizeAxis } from '../../onnx/ops/index-map';
import { intAttr } from '../../onnx/ops/op-family';
import type { LowerContext, RowDraft, VarTensor } from '../context';
import { toCoefficient } from './coefficient';
import { lowerReshape } from './reshape';
import { lowerIndexMapped } from './shape-ops';
import { addProduct, emptyRow } from './terms';

/** The index tensor: computed at run time, holding integers, at scale 0. */
export function indexTensor(ctx: LowerContext, node: IrNode, position: number, what = 'indices'): VarTensor {
  const name = node.inputs[position];
  const v = ctx.variable(name)!;
  if (!integerValued(ctx.graph).integer.has(name) || v.scaleBits !== 0) {
    throw new ZkmlError(
      'ONNX_UNSUPPORTED_OP',
      `node '${node.name}' (${node.opType}): its ${what} '${name}' are not known to hold integers; ${what} computed at run time must be integer-valued (comparison results, ArgMax, integer inputs and constants, sums and moves of them)`,
      {
        node: node.name,
        opType: node.opType,
      },
    );
  }
  return v;
}

/**
 * Step 1 for the elements `elements` of idx: each wrapped into [0, n), negative ones counting from
 * the end when `wrapNegative` (else they have no witness either), with no witness outside [−n, n);
 * undefined when their ranges already lie inside [0, n).
 */
export function wrappedIndex(ctx: LowerContext, node: IrNode, idx: VarTensor, elements: number[], n: number, name: string, wrapNegative = true): VarTensor | undefined {
  const bounds = elements.map((e) => ctx.bounds[idx.id][e]);
  const N = BigInt(n);
  if (bounds.every((b) => b.lo >= 0n && b.hi < N)) return undefined;
  const lowest = wrapNegative ? -N : 0n;
  if (bounds.some((b) => b.hi < lowest || b.lo >= N)) {
    throw new ZkmlError('SHAPE_MISMATCH', `node '${node.name}' (${node.opType}): '${ctx.tensors[idx.id].name}' is always outside [${lowest}, ${n})`, { node: node.name });
  }
  const negative = wrapNegative && bounds.some((b) => b.lo < 0n);
  const table: SegmentTable = negative ? { lo: [-N, 0n], hi: [-1n, N - 1n], alpha: [N, 0n], beta: [1n, 1n], restrict: true } : { lo: [0n], hi: [N - 1n], alpha: [0n], beta: [1n], restrict: true };
  const rows = elements.map((e) => {
    const row = emptyRow();
    row.terms.push([idx.id, e, 1n]);
    row.error = ctx.error(idx, e);
    return row;
  });
  return ctx.addLayer(node, `${node.outputs[0]}/${name}`, [elements.length], rows, 0, 0, false, undefined, undefined, table);
}

/** Step 1: each index element wrapped into [0, n), with no witness outside [−n, n); the index itself when its range is inside [0, n). */
export function normalizedIndex(ctx: LowerContext, node: IrNode, idx: VarTensor, n: number, wrapNegative = true): VarTensor {
  const all = Array.from({ length: ctx.tensors[idx.id].size }, (_, e) => e);
  const wrapped = wrappedIndex(ctx, node, idx, all, n, 'index_in_range', wrapNegative);
  return wrapped ? { ...wrapped, shape: idx.shape } : idx;
}

/**
 * Step 2: bits[e·n + k] = [j[e] = k + offset] (offset −n: OneHot's negative indices). A linear layer
 * when every j is a bit, else a test layer of EqualsZero rows.
 */
export function indicatorBits(ctx: LowerContext, node: IrNode, j: VarTensor, n: number, suffix: string, offset = 0): VarTensor {
  const size = ctx.tensors[j.id].size;
  const bounds = ctx.bounds[j.id];
  const rows: RowDraft[] = [];
  const isBit = offset === 0 && bounds.every((b) => b.lo >= 0n && b.hi <= 1n);
  for (let e = 0; e < size; e++) {
    for (let k = 0; k < n; k++) {
      const row = emptyRow();
      row.error = ctx.error(j, e) > 0 ? 1 : 0;
      if (isBit) {
        // b_1 = j, b_0 = 1 − j, the others 0.
        if (k === 0) row.bias = 1n;
        if (k <= 1) row.terms.push([j.id, e, k === 0 ? -1n : 1n]);
      } else {
        row.bias = -BigInt(k + offset);
        row.terms.push([j.id, e, 1n]);
      }
      rows.push(row);
    }
  }
  const shape = [size, n];
  const name = `${node.outputs[0]}/${suffix}`;
  const bits = isBit ? ctx.addLayer(node, name, shape, rows, 0, 0, false) : ctx.addLayer(node, name, shape, rows, 0, 0, false, undefined, 'zero');
  return bits;
}

/** Whether bit i can be 1 (the bounds of a bit that cannot are [0, 0]). */
export const possible = (ctx: LowerContext, bits: VarTensor, i: number): boolean => ctx.bounds[bits.id][i].hi > 0n;

/** A table to select from: constant (a circuit constant per entry) or computed at run time. */
export interface Table {
  c?: FloatTensor;
  v?: VarTensor;
}

/** The selection's scale: a run-time table's, 0 for an integer constant table (it may be an index again), else the calibrated one. */
function selectionScale(ctx: LowerContext, table: Table, out: string): number {
  if (table.v) return table.v.scaleBits;
  return table.c!.data.every(Number.isInteger) ? 0 : ctx.targetScale(out);
}

/**
 * Step 3: out[o] = Σ_k bits[e(o)·n + k] · table[position(o, k)], for every output element o.
 */
export function select(
  ctx: LowerContext,
  node: IrNode,
  bits: VarTensor,
  n: number,
  table: Table,
  outShape: number[],
  indexOf: (o: number) => number,
  position: (o: number, k: number) => number,
): void {
  const out = node.outputs[0];
  const s = selectionScale(ctx, table, out);
  const rows = Array.from({ length: sizeOf(outShape) }, (_, o) => {
    const row = emptyRow();
    const e = indexOf(o);
    let lo = Infinity;
    let hi = -Infinity;
    for (let k = 0; k < n; k++) {
      const b = e * n + k;
      if (!possible(ctx, bits, b)) continue;
      const p = position(o, k);
      if (table.v) {
        addProduct(ctx, row, bits, b, table.v, p);
        continue;
      }
      const value = table.c!.data[p];
      const q = toCoefficient(value, s);
      if (q !== 0n) row.terms.push([bits.id, b, q]);
      lo = Math.min(lo, value);
      hi = Math.max(hi, value);
      row.error = Math.max(row.error, Math.abs(Number(q) / 2 ** s - value));
    }
    // An index that carries error may pick another entry: the spread of the constant candidates.
    if (!table.v && ctx.error(bits, e * n) > 0 && hi > lo) row.error += hi - lo;
    return row;
  });
  ctx.addLayer(node, out, outShape, rows, s, 0, false);
}

export function tableOf(ctx: LowerContext, name: string): Table {
  const c = ctx.constant(name);
  if (c && !c.data.every(Number.isFinite)) throw new ZkmlError('ONNX_UNSUPPORTED_OP', `constant '${name}' holds values the circuit cannot represent`);
  return c ? { c } : { v: ctx.variable(name)! };
}

/** Gather(data, indices) along `axis`: constant indices are a fixed copy; run-time ones select. */
export function lowerGather(node: IrNode, ctx: LowerContext): void {
  if (ctx.constant(node.inputs[1])) return lowerIndexMapped(node, ctx);
  const data = ctx.graph.shapes.get(node.inputs[0])!;
  const axis = normalizeAxis(node, intAttr(node, 'axis', 0), data.length);
  const n = data[axis];
  const idx = indexTensor(ctx, node, 1);
  const m = ctx.tensors[idx.id].size;
  const inner = sizeOf(data.slice(axis + 1));
  const bits = indicatorBits(ctx, node, normalizedIndex(ctx, node, idx, n), n, 'indicator');
  const outShape = [...data.slice(0, axis), ...idx.shape, ...data.slice(axis + 1)];
  // Output o = (a, e, j): outer a, index element e, inner j.
  select(
    ctx,
    node,
    bits,
    n,
    tableOf(ctx, node.inputs[0]),
    outShape,
    (o) => Math.floor(o / inner) % m,
    (o, k) => (Math.floor(o / (inner * m)) * n + k) * inner + (o % inner),
  );
}

/** GatherElements(data, indices): out[c] = data[c with c[axis] = indices[c]]. */
export function lowerGatherElements(node: IrNode, ctx: LowerContext): void {
  const shapes = node.inputs.map((x) => ctx.graph.shapes.get(x)!);
  const axis = gatherElementsAxis(node, shapes);
  const n = shapes[0][axis];
  const { base, stride } = gatherElementsLines(shapes[0], shapes[1], axis);
  const constIdx = ctx.constant(node.inputs[1]);
  const table = tableOf(ctx, node.inputs[0]);
  if (constIdx) {
    // A fixed copy: each output reads one known element.
    const source = (o: number) => base[o] + (constIdx.data[o] < 0 ? constIdx.data[o] + n : constIdx.data[o]) * stride;
    if (!table.v) throw new ZkmlError('INTERNAL', `node '${node.name}': GatherElements of constants is folded at ingest`);
    const rows = Array.from(base, (_, o) => {
      const row = emptyRow();
      row.terms.push([table.v!.id, source(o), 1n]);
      row.error = ctx.error(table.v!, source(o));
      return row;
    });
    ctx.addLayer(node, node.outputs[0], shapes[1], rows, table.v.scaleBits, 0, false);
    return;
  }
  const idx = indexTensor(ctx, node, 1);
  const bits = indicatorBits(ctx, node, normalizedIndex(ctx, node, idx, n), n, 'indicator');
  select(
    ctx,
    node,
    bits,
    n,
    table,
    shapes[1],
    (o) => o,
    (o, k) => base[o] + k * stride,
  );
}

/** OneHot(indices, depth, values): off + (on − off)·([i = k] + [i = k − depth]) per output element. */
export function lowerOneHot(node: IrNode, ctx: LowerContext): void {
  const shapes = node.inputs.map((x) => ctx.graph.shapes.get(x)!);
  const plan = oneHotPlan(
    node,
    shapes,
    node.inputs.map((x) => ctx.constant(x)),
  );
  const idx = indexTensor(ctx, node, 0);
  const d = plan.depth;
  const direct = indicatorBits(ctx, node, idx, d, 'indicator');
  const wrapped = ctx.bounds[idx.id].some((b) => b.lo < 0n) ? indicatorBits(ctx, node, idx, d, 'indicator_negative', -d) : undefined;
  const out = node.outputs[0];
  const integral = Number.isInteger(plan.on) && Number.isInteger(plan.off);
  const s = integral ? 0 : ctx.targetScale(out);
  const [qOff, qOn] = [toCoefficient(plan.off, s), toCoefficient(plan.on, s)];
  const rounding = Math.max(Math.abs(Number(qOff) / 2 ** s - plan.off), Math.abs(Number(qOn) / 2 ** s - plan.on));
  const inner = sizeOf(shapes[0].slice(plan.axis));
  const rows = Array.from({ length: sizeOf(plan.outShape) }, (_, o) => {
    const k = Math.floor(o / inner) % d;
    const e = Math.floor(o / (d * inner)) * inner + (o % inner);
    const row = emptyRow();
    row.bias = qOff;
    for (const bits of wrapped ? [direct, wrapped] : [direct]) {
      if (possible(ctx, bits, e * d + k) && qOn !== qOff) row.terms.push([bits.id, e * d + k, qOn - qOff]);
    }
    row.error = rounding + (ctx.error(idx, e) > 0 ? Math.abs(plan.on - plan.off) : 0);
    return row;
  });
  ctx.addLayer(node, out, plan.outShape, rows, s, 0, false);
}

/**
 * Cast: to a float type, or of an integer-valued tensor (ingest checked it) to an integer type, the
 * values do not change: an alias. An integer type must also hold every value the bounds allow (no
 * wrap-around, which the circuit does not model).
 */
export function lowerCast(node: IrNode, ctx: LowerContext): void {
  const target = CAST_TARGETS[node.attributes.to as number];
  const x = ctx.variable(node.inputs[0])!;
  if (target && !target.float && target.name !== 'bool') {
    const scale = 2 ** x.scaleBits;
    for (const b of ctx.bounds[x.id]) {
      // Integer-valued: the values are integers inside the (possibly fractional) bounds.
      const [lo, hi] = [Math.floor(Number(b.lo) / scale), Math.ceil(Number(b.hi) / scale)];
      if (target.convert(lo) !== lo || target.convert(hi) !== hi) {
        throw new ZkmlError('ONNX_UNSUPPORTED_ATTRIBUTE', `node '${node.name}' (Cast): values up to [${lo}, ${hi}] do not fit ${target.name}; the wrap-around is not modelled`, {
          node: node.name,
          opType: 'Cast',
          attribute: 'to',
        });
      }
    }
  }
  lowerReshape(node, ctx);
}

export const INDEXING_LOWERINGS: Record<string, (node: IrNode, ctx: LowerContext) => void> = {
  Gather: lowerGather,
  GatherElements: lowerGatherElements,
  OneHot: lowerOneHot,
  Cast: lowerCast,
};
