/**
 * Comparisons and logic → test layers and products (docs/logic.md).
 *
 * A comparison is exact on the quantized values: operands are aligned to the finest scale by exact
 * powers of two, and a float constant c against x at scale s becomes the integer threshold that
 * gives the same outcome for every integer x (x < c·2^s ⟺ x ≤ ⌈c·2^s⌉ − 1, x ≤ c·2^s ⟺ x ≤ ⌊c·2^s⌋,
 * and so on). Less / LessOrEqual / Greater / GreaterOrEqual test acc ≥ 0 (NonNegative: b + 1
 * constraints, b from the bounds); Equal tests acc = 0 (EqualsZero: 2). A bool is a scale-0 tensor
 * whose bounds are [0, 1]; every op here refuses an operand that is not one where it needs a bool.
 * Not = 1 − a (free), And = a·b, Or = a + b·(1 − a), Xor = (a − b)², Where(c, x, y) = y + c·(x − y):
 * one product each. Sign = 2·[x ≥ 0] − 1 − [x = 0]: b + 3 constraints. Floor, Ceil: one exact rescale;
 * Round (half to even): three.
 *
 * Error: the outcome is exact for the quantized operands; when an operand carries float error the
 * outcome may differ from the float model's near a tie, so its error bound is then 1 (a bit).
 */
import { ZkmlError } from '../../errors';
import type { FloatTensor, IrNode } from '../../formats/graph';
import { sizeOf } from '../../formats/graph';
import type { CompareTest } from '../../formats/quantized-model';
import { broadcastAll } from '../../onnx/ops/elementwise';
import { broadcastIndexMap } from '../../onnx/tensor';
import type { LowerContext, RowDraft, VarTensor } from '../context';
import { toCoefficient } from './coefficient';
import { lowerIndexMapped } from './shape-ops';
import { addProduct, addWeightedTerm, emptyRow } from './terms';

interface Operand {
  v?: VarTensor;
  c?: FloatTensor;
  map: Int32Array;
}

function operands(node: IrNode, ctx: LowerContext, names: string[]): { shape: number[]; size: number; ops: Operand[] } {
  const shapeOf = (n: string) => ctx.variable(n)?.shape ?? ctx.constant(n)!.shape;
  const shape = broadcastAll(names.map(shapeOf), node.name);
  const ops = names.map((name) => ({ v: ctx.variable(name), c: ctx.constant(name), map: broadcastIndexMap(shapeOf(name), shape) }));
  return { shape, size: sizeOf(shape), ops };
}

/** The outcome may flip against the float model only when an operand carries error. */
const flipError = (ctx: LowerContext, parts: Array<[VarTensor | undefined, number]>): number => (parts.some(([v, i]) => v !== undefined && ctx.error(v, i) > 0) ? 1 : 0);

/**
 * Whether x[i] against the threshold c is decided alike in float and in integers: the quantized
 * value lies in its bounds and the float value within its error of them, so when that widened
 * interval lies strictly on one side of c both outcomes are that side's (no flip: error 0).
 */
function decided(ctx: LowerContext, x: VarTensor, i: number, c: number): boolean {
  const b = ctx.bounds[x.id][i];
  const unit = 2 ** x.scaleBits;
  const e = ctx.error(x, i);
  return Number(b.lo) / unit - e > c || Number(b.hi) / unit + e < c;
}

/** A test layer: row i's accumulator tested by `test`, the result a bit at scale 0. */
function addTestLayer(ctx: LowerContext, node: IrNode, out: string, shape: number[], rows: RowDraft[], test: CompareTest): VarTensor {
  return ctx.addLayer(node, out, shape, rows, 0, 0, false, undefined, test);
}

/** An integer-valued row term (coefficient exact): coef·x[i] at scale `accScale`, x's error carried. */
function addExact(ctx: LowerContext, row: RowDraft, x: VarTensor, i: number, sign: number, accScale: number): void {
  addWeightedTerm(ctx, row, x, i, sign, accScale);
}

/** The threshold a float constant sets for integers: Less/LessOrEqual/Greater/GreaterOrEqual/Equal on x·2^-s. */
export function constantComparisonRow(ctx: LowerContext, node: IrNode, op: string, x: VarTensor, i: number, c: number): { row: RowDraft; test: CompareTest } {
  if (!Number.isFinite(c)) {
    throw new ZkmlError('ONNX_UNSUPPORTED_OP', `node '${node.name}' (${node.opType}): comparing against the constant ${c} is not supported`, { node: node.name, opType: node.opType });
  }
  const t = c * 2 ** x.scaleBits; // exact: a power-of-two scaling
  const row = emptyRow();
  const term = (sign: 1n | -1n) => row.terms.push([x.id, i, sign]);
  row.error = decided(ctx, x, i, c) ? 0 : flipError(ctx, [[x, i]]);
  const ceil = BigInt(Math.ceil(t));
  const floor = BigInt(Math.floor(t));
  switch (op) {
    case 'Less': // x ≤ ⌈t⌉ − 1
      row.bias = ceil - 1n;
      term(-1n);
      return { row, test: 'nonNegative' };
    case 'LessOrEqual': // x ≤ ⌊t⌋
      row.bias = floor;
      term(-1n);
      return { row, test: 'nonNegative' };
    case 'Greater': // x ≥ ⌊t⌋ + 1
      row.bias = -floor - 1n;
      term(1n);
      return { row, test: 'nonNegative' };
    case 'GreaterOrEqual': // x ≥ ⌈t⌉
      row.bias = -ceil;
      term(1n);
      return { row, test: 'nonNegative' };
    default: // Equal: only an integer threshold can be met
      if (ceil !== floor) {
        row.bias = 1n; // never zero: the bounds make it the constant 0
        row.error = 0;
        return { row, test: 'zero' };
      }
      row.bias = -floor;
      term(1n);
      return { row, test: 'zero' };
  }
}

const MIRRORED: Record<string, string> = { Less: 'Greater', LessOrEqual: 'GreaterOrEqual', Greater: 'Less', GreaterOrEqual: 'LessOrEqual', Equal: 'Equal' };

/** Less, LessOrEqual, Greater, GreaterOrEqual, Equal on run-time tensors. */
export function lowerComparison(node: IrNode, ctx: LowerContext): void {
  const { shape, size, ops } = operands(node, ctx, node.inputs);
  const [a, b] = ops;
  const rows: RowDraft[] = [];
  let test: CompareTest = node.opType === 'Equal' ? 'zero' : 'nonNegative';
  for (let i = 0; i < size; i++) {
    if (a.v && b.v) {
      // a − b (≥ 0, ≥ 1, = 0) or b − a, aligned to the finer scale exactly.
      const s = Math.max(a.v.scaleBits, b.v.scaleBits);
      const row = emptyRow();
      const [hi, lo] = node.opType.startsWith('Less') ? [b, a] : [a, b];
      addExact(ctx, row, hi.v!, hi.map[i], 1, s);
      addExact(ctx, row, lo.v!, lo.map[i], -1, s);
      if (node.opType === 'Less' || node.opType === 'Greater') row.bias = -1n;
      row.error = flipError(ctx, [
        [a.v, a.map[i]],
        [b.v, b.map[i]],
      ]);
      rows.push(row);
    } else {
      const [x, k, op] = a.v ? [a, b, node.opType] : [b, a, MIRRORED[node.opType]];
      const r = constantComparisonRow(ctx, node, op, x.v!, x.map[i], k.c!.data[k.map[i]]);
      test = r.test;
      rows.push(r.row);
    }
  }
  addTestLayer(ctx, node, node.outputs[0], shape, rows, test);
}

/** A bool operand: a scale-0 tensor whose elements are bounded to [0, 1]. */
function checkBool(ctx: LowerContext, node: IrNode, v: VarTensor, what: string): void {
  const ok = v.scaleBits === 0 && ctx.bounds[v.id].every((b) => b.lo >= 0n && b.hi <= 1n);
  if (!ok) {
    throw new ZkmlError('ONNX_UNSUPPORTED_OP', `node '${node.name}' (${node.opType}): ${what} is not a bool tensor (its values are not bounded to 0/1)`, { node: node.name, opType: node.opType });
  }
}

const truthy = (c: FloatTensor, i: number): boolean => c.data[i] !== 0;

/** A free linear layer over the output's elements: row i = bias + coef·x[map[i]]. */
function linearLayer(ctx: LowerContext, node: IrNode, name: string, shape: number[], size: number, build: (row: RowDraft, i: number) => void, scale = 0): VarTensor {
  const rows = Array.from({ length: size }, (_, i) => {
    const row = emptyRow();
    build(row, i);
    return row;
  });
  return ctx.addLayer(node, name, shape, rows, scale, 0, false);
}

export function lowerNot(node: IrNode, ctx: LowerContext): void {
  const x = ctx.variable(node.inputs[0])!;
  checkBool(ctx, node, x, 'its input');
  const size = ctx.tensors[x.id].size;
  const identity = Int32Array.from({ length: size }, (_, i) => i);
  linearLayer(ctx, node, node.outputs[0], x.shape, size, (row, i) => notInto(ctx, row, x, identity[i]));
}

/** row += 1 − x[i]. */
function notInto(ctx: LowerContext, row: RowDraft, x: VarTensor, i: number): void {
  row.bias += 1n;
  addExact(ctx, row, x, i, -1, 0);
}

/** And, Or, Xor: one product per element between two run-time bools, linear against a constant. */
export function lowerBoolean(node: IrNode, ctx: LowerContext): void {
  const { shape, size, ops } = operands(node, ctx, node.inputs);
  for (const [k, o] of ops.entries()) if (o.v) checkBool(ctx, node, o.v, `input ${k}`);
  const [a, b] = ops;
  const out = node.outputs[0];
  if (!a.v || !b.v) {
    const [x, k] = a.v ? [a, b] : [b, a];
    linearLayer(ctx, node, out, shape, size, (row, i) => {
      // x And 1 = x, x And 0 = 0; x Or 1 = 1, x Or 0 = x; x Xor 1 = 1 − x, x Xor 0 = x.
      const on = truthy(k.c!, k.map[i]);
      if (node.opType === 'Or' && on) row.bias = 1n;
      else if (node.opType === 'Xor' && on) notInto(ctx, row, x.v!, x.map[i]);
      else if (node.opType !== 'And' || on) addExact(ctx, row, x.v!, x.map[i], 1, 0);
    });
    return;
  }
  const [va, vb] = [a.v, b.v];
  let rows: RowDraft[];
  if (node.opType === 'And') {
    rows = Array.from({ length: size }, (_, i) => {
      const row = emptyRow();
      addProduct(ctx, row, va, a.map[i], vb, b.map[i]);
      return row;
    });
  } else if (node.opType === 'Or') {
    // a + b·(1 − a)
    const notA = linearLayer(ctx, node, `${out}/not_a`, shape, size, (row, i) => notInto(ctx, row, va, a.map[i]));
    rows = Array.from({ length: size }, (_, i) => {
      const row = emptyRow();
      addExact(ctx, row, va, a.map[i], 1, 0);
      addProduct(ctx, row, vb, b.map[i], notA, i);
      return row;
    });
  } else {
    // (a − b)²
    const d = linearLayer(ctx, node, `${out}/a_minus_b`, shape, size, (row, i) => {
      addExact(ctx, row, va, a.map[i], 1, 0);
      addExact(ctx, row, vb, b.map[i], -1, 0);
    });
    rows = Array.from({ length: size }, (_, i) => {
      const row = emptyRow();
      addProduct(ctx, row, d, i, d, i);
      return row;
    });
  }
  const result = ctx.addLayer(node, out, shape, rows, 0, 0, false);
  // a + b·(1 − a) and (a − b)² of bits are bits, which interval arithmetic cannot see ([0, 2], [−1, 1]).
  ctx.bounds[result.id] = ctx.bounds[result.id].map(() => ({ lo: 0n, hi: 1n }));
}

/** Sign(x) = 2·[x ≥ 0] − 1 − [x = 0], at scale 0. */
export function lowerSign(node: IrNode, ctx: LowerContext): void {
  const x = ctx.variable(node.inputs[0])!;
  const size = ctx.tensors[x.id].size;
  const out = node.outputs[0];
  const tested = (suffix: string, test: CompareTest) =>
    addTestLayer(
      ctx,
      node,
      `${out}/${suffix}`,
      x.shape,
      Array.from({ length: size }, (_, i) => {
        const row = emptyRow();
        row.terms.push([x.id, i, 1n]);
        row.error = decided(ctx, x, i, 0) ? 0 : flipError(ctx, [[x, i]]);
        return row;
      }),
      test,
    );
  const nonNegative = tested('non_negative', 'nonNegative');
  const zero = tested('zero', 'zero');
  linearLayer(ctx, node, out, x.shape, size, (row, i) => {
    row.bias = -1n;
    row.terms.push([nonNegative.id, i, 2n], [zero.id, i, -1n]);
    row.error = decided(ctx, x, i, 0) ? 0 : 2 * flipError(ctx, [[x, i]]);
  });
}

/**
 * Floor(x), Ceil(x) at scale 0: x at scale s is an exact rescale by 2^s, which rounds half up
 * (Requantize: ⌊(acc + 2^(s−1)) / 2^s⌋), so Floor rescales x − 2^(s−1) and Ceil x + 2^(s−1) − 1.
 * k + s bits for k output bits; free when x already has scale 0.
 */
export function lowerFloorCeil(node: IrNode, ctx: LowerContext): void {
  const x = ctx.variable(node.inputs[0])!;
  const s = x.scaleBits;
  if (s === 0) return ctx.alias(node.outputs[0], x, x.shape);
  const half = 1n << BigInt(s - 1);
  const rows = Array.from({ length: ctx.tensors[x.id].size }, (_, i) => {
    const row = emptyRow();
    row.bias = node.opType === 'Floor' ? -half : half - 1n;
    row.terms.push([x.id, i, 1n]);
    row.error = flipError(ctx, [[x, i]]);
    return row;
  });
  ctx.addLayer(node, node.outputs[0], x.shape, rows, s, s, false);
}

/**
 * Round(x) at scale 0, half to even as ONNX rounds, from the half-up rescale (as requantize.ts does):
 *     f = ⌊x / 2^s⌋,  g = ⌊f / 2⌋ (so f − 2g is f's parity),  out = ⌊(x + 2^(s−1) − 1 + f − 2g) / 2^s⌋
 * rounds a tie down when f is even and up when f is odd; off a tie the parity term cannot cross a
 * step. Three exact rescales (each decomposed, so every value is pinned); free when x has scale 0.
 */
export function lowerRound(node: IrNode, ctx: LowerContext): void {
  const x = ctx.variable(node.inputs[0])!;
  const s = x.scaleBits;
  if (s === 0) return ctx.alias(node.outputs[0], x, x.shape);
  const half = 1n << BigInt(s - 1);
  const size = ctx.tensors[x.id].size;
  const out = node.outputs[0];
  const rows = (build: (row: RowDraft, i: number) => void): RowDraft[] =>
    Array.from({ length: size }, (_, i) => {
      const row = emptyRow();
      build(row, i);
      return row;
    });
  // The rescale adds 2^(shift−1) before flooring, so each row subtracts it back.
  const f = ctx.addLayer(
    node,
    `${out}/floor`,
    x.shape,
    rows((row, i) => ((row.bias = -half), row.terms.push([x.id, i, 1n]))),
    s,
    s,
    false,
  );
  const g = ctx.addLayer(
    node,
    `${out}/half`,
    x.shape,
    rows((row, i) => ((row.bias = -1n), row.terms.push([f.id, i, 1n]))),
    1,
    1,
    false,
  );
  const q = rows((row, i) => {
    row.bias = -1n;
    row.terms.push([x.id, i, 1n], [f.id, i, 1n], [g.id, i, -2n]); // the parity, in units of x
    row.error = flipError(ctx, [[x, i]]);
  });
  ctx.addLayer(node, out, x.shape, q, s, s, false);
}

/**
 * Where(c, x, y) with a run-time condition = y + c·(x − y), at the finer of x's and y's scales: one
 * product per element (of c and x − y, or c and the one run-time operand; none when both are
 * constants). A constant condition is a fixed selection (./shape-ops).
 */
export function lowerWhere(node: IrNode, ctx: LowerContext): void {
  if (ctx.constant(node.inputs[0])) return lowerIndexMapped(node, ctx);
  const { shape, size, ops } = operands(node, ctx, node.inputs);
  const [c, x, y] = ops;
  checkBool(ctx, node, c.v!, 'its condition');
  const out = node.outputs[0];
  // Two constants are placed at the output's calibrated scale.
  const s = x.v || y.v ? Math.max(x.v?.scaleBits ?? 0, y.v?.scaleBits ?? 0) : ctx.targetScale(out);
  const constant = (o: Operand, i: number) => toCoefficient(o.c!.data[o.map[i]], s);
  const roundingError = (o: Operand, i: number) => Math.abs(Number(constant(o, i)) / 2 ** s - o.c!.data[o.map[i]]);
  const cv = c.v!;
  let rows: RowDraft[];
  if (x.v && y.v) {
    const d = linearLayer(
      ctx,
      node,
      `${out}/x_minus_y`,
      shape,
      size,
      (row, i) => {
        addExact(ctx, row, x.v!, x.map[i], 1, s);
        addExact(ctx, row, y.v!, y.map[i], -1, s);
      },
      s,
    );
    rows = Array.from({ length: size }, (_, i) => {
      const row = emptyRow();
      addExact(ctx, row, y.v!, y.map[i], 1, s);
      addProduct(ctx, row, cv, c.map[i], d, i);
      return row;
    });
  } else if (x.v || y.v) {
    // The run-time operand v where the condition selects it (sel = c, or 1 − c), the constant k elsewhere:
    // k + sel·v − k·sel.
    const [v, k] = x.v ? [x, y] : [y, x];
    const sel = x.v ? cv : linearLayer(ctx, node, `${out}/not_c`, shape, size, (row, i) => notInto(ctx, row, cv, c.map[i]));
    const selIndex = (i: number) => (x.v ? c.map[i] : i);
    rows = Array.from({ length: size }, (_, i) => {
      const row = emptyRow();
      const q = constant(k, i);
      row.bias = q;
      if (q !== 0n) row.terms.push([sel.id, selIndex(i), -q]);
      row.error = roundingError(k, i) + ctx.error(sel, selIndex(i)) * Math.abs(k.c!.data[k.map[i]]);
      addProduct(ctx, row, sel, selIndex(i), v.v!, v.map[i]);
      return row;
    });
  } else {
    rows = Array.from({ length: size }, (_, i) => {
      const row = emptyRow();
      const [qx, qy] = [constant(x, i), constant(y, i)];
      row.bias = qy;
      if (qx !== qy) row.terms.push([cv.id, c.map[i], qx - qy]); // else a constant: the report sees it
      row.error = Math.max(roundingError(x, i), roundingError(y, i)) + ctx.error(cv, c.map[i]) * Math.abs(x.c!.data[x.map[i]] - y.c!.data[y.map[i]]);
      return row;
    });
  }
  ctx.addLayer(node, out, shape, rows, s, 0, false);
}

export const LOGIC_LOWERINGS: Record<string, (node: IrNode, ctx: LowerContext) => void> = {
  Less: lowerComparison,
  LessOrEqual: lowerComparison,
  Greater: lowerComparison,
  GreaterOrEqual: lowerComparison,
  Equal: lowerComparison,
  Not: lowerNot,
  And: lowerBoolean,
  Or: lowerBoolean,
  Xor: lowerBoolean,
  Sign: lowerSign,
  Floor: lowerFloorCeil,
  Ceil: lowerFloorCeil,
  Round: lowerRound,
  Where: lowerWhere,
};
