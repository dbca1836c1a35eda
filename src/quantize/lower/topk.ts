/**
 * TopK → a network of compare-swaps (docs/spatial.md). Every line's positions carry a (value, index)
 * pair; the comparators of k bubble passes (pass j carries the best of positions j..n−1 to j) are
 * scheduled into stages of disjoint pairs. Per stage, for each comparator (a, b):
 *     c = [σ·n·(v_a − v_b) + (i_b − i_a) ≥ 0]      (test layer: NonNegative, b + 1 constraints)
 *     p = c·(v_a − v_b),  q = c·(i_a − i_b)         (one product each; q is linear while both indices are constants)
 *     a ← (v_b + p, i_b + q),   b ← (v_a − p, i_a − q)   (free linear layers)
 * with σ = +1 for largest, −1 for smallest. The key σ·n·v − i orders by value, then by lower index
 * (onnxruntime's tie rule); it is never equal for two positions because the indices stay a
 * permutation of 0..n−1 (each swap exchanges two pairs exactly), so c is the only bit that satisfies
 * the test, and every satisfying witness yields the same outputs: the exact TopK of the quantized
 * values, indices included.
 *
 * Bounds: a swapped value is one of its two operands, so its interval is their union (interval
 * arithmetic on v_b + p would widen at every stage); an index stays in [0, n − 1]. Error: the j-th
 * largest value is 1-Lipschitz in the sup norm, so each output's error is the largest input error
 * of its line; an index is exact when the inputs are, else it can differ where values are closer
 * than their error (bound n − 1).
 */
import type { IrNode } from '../../formats/graph';
import { topKPlan } from '../../onnx/ops/topk';
import type { Interval } from '../../formats/quantized-model';
import type { LowerContext, RowDraft, VarTensor } from '../context';
import { setError, tightenBounds } from './minmax';
import { emptyRow } from './terms';

/** An element of a tensor, or (for an index no swap has touched yet) an integer constant. */
type Slot = { t: VarTensor; i: number } | { c: number };

const isVar = (s: Slot): s is { t: VarTensor; i: number } => 't' in s;

function addSlot(row: RowDraft, s: Slot, coef: bigint): void {
  if (isVar(s)) row.terms.push([s.t.id, s.i, coef]);
  else row.bias += coef * BigInt(s.c);
}

/** The comparators of k bubble passes, as stages of disjoint position pairs (a before b). */
export function topKStages(n: number, k: number): Array<Array<[number, number]>> {
  const last = new Array<number>(n).fill(-1);
  const stages: Array<Array<[number, number]>> = [];
  for (let j = 0; j < k; j++) {
    for (let p = n - 2; p >= j; p--) {
      const s = Math.max(last[p], last[p + 1]) + 1;
      (stages[s] ??= []).push([p, p + 1]);
      last[p] = last[p + 1] = s;
    }
  }
  return stages;
}

export function lowerTopK(node: IrNode, ctx: LowerContext): void {
  const x = ctx.variable(node.inputs[0])!;
  const plan = topKPlan(
    node,
    node.inputs.map((n) => ctx.variable(n)?.shape ?? ctx.constant(n)!.shape),
    node.inputs.map((n) => ctx.constant(n)),
  );
  const { n, k } = plan;
  const sigma = plan.largest ? 1n : -1n;
  const values: Slot[][] = plan.lines.map((line) => Array.from(line, (i) => ({ t: x, i })));
  const indices: Slot[][] = plan.lines.map(() => Array.from({ length: n }, (_, p) => ({ c: p })));
  const bound = (s: Slot): Interval => (isVar(s) ? ctx.bounds[s.t.id][s.i] : { lo: BigInt(s.c), hi: BigInt(s.c) });
  const err = (s: Slot): number => (isVar(s) ? ctx.error(s.t, s.i) : 0);
  const lineError = plan.lines.map((line) => Math.max(0, ...Array.from(line, (i) => ctx.error(x, i))));
  const indexError = lineError.map((e) => (e > 0 ? n - 1 : 0));
  const name = (what: string, s: number) => `${node.outputs[0]}#topk${s}.${what}`;

  topKStages(n, k).forEach((stage, s) => {
    const pairs = plan.lines.flatMap((_, l) => stage.map(([a, b]) => ({ l, a, b })));
    // c: does a go first?
    const cRows = pairs.map(({ l, a, b }) => {
      const row = emptyRow();
      addSlot(row, values[l][a], sigma * BigInt(n));
      addSlot(row, values[l][b], -sigma * BigInt(n));
      addSlot(row, indices[l][b], 1n);
      addSlot(row, indices[l][a], -1n);
      row.error = lineError[l] > 0 ? 1 : 0;
      return row;
    });
    const c = ctx.addLayer(node, name('c', s), [pairs.length], cRows, 0, 0, false, undefined, 'nonNegative');
    const diff = (slots: Slot[][], scale: number, what: string) => {
      const rows = pairs.map(({ l, a, b }) => {
        const row = emptyRow();
        addSlot(row, slots[l][a], 1n);
        addSlot(row, slots[l][b], -1n);
        return row;
      });
      return ctx.addLayer(node, name(what, s), [pairs.length], rows, scale, 0, false);
    };
    const product = (d: VarTensor, scale: number, what: string) => {
      const rows = pairs.map((_, r) => {
        const row = emptyRow();
        row.products.push([c.id, r, d.id, r]);
        return row;
      });
      return ctx.addLayer(node, name(what, s), [pairs.length], rows, scale, 0, false);
    };
    const pv = product(diff(values, x.scaleBits, 'dv'), x.scaleBits, 'pv');
    // While both indices are constants, c·(i_a − i_b) is linear in c.
    const constantIdx = pairs.map(({ l, a, b }) => !isVar(indices[l][a]) && !isVar(indices[l][b]));
    const pi = constantIdx.every(Boolean) ? undefined : product(diff(indices, 0, 'di'), 0, 'pi');
    const swap = (slots: Slot[][], scale: number, p: VarTensor | undefined, what: string, errorOf: (l: number) => number) => {
      const rows: RowDraft[] = [];
      const tight: Interval[] = [];
      pairs.forEach(({ l, a, b }, r) => {
        const [sa, sb] = [slots[l][a], slots[l][b]];
        const moved = (keep: Slot, sign: bigint) => {
          const row = emptyRow();
          addSlot(row, keep, 1n);
          if (p) row.terms.push([p.id, r, sign]);
          else row.terms.push([c.id, r, sign * BigInt((sa as { c: number }).c - (sb as { c: number }).c)]);
          row.error = errorOf(l);
          return row;
        };
        rows.push(moved(sb, 1n), moved(sa, -1n));
        const [ba, bb] = [bound(sa), bound(sb)];
        const union = { lo: ba.lo < bb.lo ? ba.lo : bb.lo, hi: ba.hi > bb.hi ? ba.hi : bb.hi };
        tight.push(union, union);
      });
      const out = ctx.addLayer(node, name(what, s), [rows.length], rows, scale, 0, false);
      tight.forEach((iv, o) => tightenBounds(ctx, out, o, iv.lo, iv.hi));
      pairs.forEach(({ l, a, b }, r) => {
        slots[l][a] = { t: out, i: 2 * r };
        slots[l][b] = { t: out, i: 2 * r + 1 };
      });
      return out;
    };
    // Errors of the swapped values: the larger operand error (both move together, exactly).
    const valueErrors = pairs.map(({ l, a, b }) => Math.max(err(values[l][a]), err(values[l][b])));
    const v = swap(values, x.scaleBits, pv, 'v', () => 0);
    valueErrors.forEach((e, r) => {
      setError(ctx, v, 2 * r, e);
      setError(ctx, v, 2 * r + 1, e);
    });
    swap(indices, 0, pi, 'i', (l) => indexError[l]);
  });

  const emit = (slots: Slot[][], scale: number, out: string, errorOf: (l: number) => number) => {
    const rows: RowDraft[] = new Array(plan.outLines.length * k);
    const tight: Interval[] = new Array(rows.length);
    plan.outLines.forEach((outLine, l) => {
      for (let j = 0; j < k; j++) {
        const row = emptyRow();
        addSlot(row, slots[l][j], 1n);
        row.error = errorOf(l);
        rows[outLine[j]] = row;
        tight[outLine[j]] = bound(slots[l][j]);
      }
    });
    const t = ctx.addLayer(node, out, plan.outShape, rows, scale, 0, false);
    tight.forEach((iv, o) => tightenBounds(ctx, t, o, iv.lo, iv.hi));
  };
  emit(values, x.scaleBits, node.outputs[0], (l) => lineError[l]);
  if (node.outputs[1]) emit(indices, 0, node.outputs[1], (l) => indexError[l]);
}
