/**
 * LogSoftmax, per row g of the normalized axis (n elements), with a proven error bound:
 *   m   = max_i x_i              exact (relu tree, minmax.ts)
 *   z_i = x_i − m <= 0           exact, free
 *   e_i ≈ exp(z_i)               piecewise-linear (pwl.ts), clamped at 0
 *   S   = Σ e_i >= e(0) ≈ 1      free
 *   l   ≈ log S                  piecewise-linear over S's bounded range (S >= e(0) > 0)
 *   y_i = z_i − l                exact, free (aligned to the finer scale), then rescaled
 * Error against x_i − LSE(x) of the true input (LSE is shift invariant and 1-Lipschitz in the sup
 * norm, so the computed max costs nothing and x's error counts at most twice):
 *   |ŷ_i − (x_i − LSE(x))| <= 2·max_j e_xj + Σ_j err(ê_j) / min(1, Ŝ_min) + err(l̂) + output rounding,
 * where err(ê_j) and err(l̂) are the measured fit errors with their roundings (the true sum has
 * S >= 1, the computed one Ŝ >= Ŝ_min, and log is 1/s-Lipschitz between them).
 */
import { ZkmlError } from '../../errors';
import type { IrNode } from '../../formats/graph';
import { softmaxGroups } from '../../onnx/ops/softmax';
import type { ScalarFunction } from '../../onnx/ops/smooth';
import type { LowerContext, RowDraft, VarTensor } from '../context';
import { activationScale } from '../scales';
import { Ref, reduceTree, tightenBounds } from './minmax';
import { lowerPwl, PWL_TARGET_ERROR } from './pwl';
import { SOFTMAX_EXP_DIVISOR } from './softmax';
import { addWeightedTerm, emptyRow, finishRescaled } from './terms';

const EXP: ScalarFunction = { name: 'exp', f: Math.exp, lipschitz: (_lo, hi) => Math.exp(hi), left: { slope: 0, intercept: 0 } };
const LOG: ScalarFunction = { name: 'log', f: Math.log, lipschitz: (lo) => (lo > 0 ? 1 / lo : Infinity) };

/** The shared log-sum-exp of each group (LogSoftmax here, ReduceLogSumExp in reduce-log-sum-exp.ts). */
export interface LogSumExp {
  /** m_k = max of group k, exact, at x's scale. */
  m: VarTensor;
  /** z_i = x_i − m (of i's group), exact, at x's scale. */
  z: VarTensor;
  /** l_k ≈ log Σ exp(z), its fit error in the context. */
  l: VarTensor;
  /**
   * |(m̂_k + l̂_k) − LSE(x)_k| without l̂'s own fit error: x's error once (LSE is 1-Lipschitz in the
   * sup norm) plus the exp fits' summed error over min(1, Ŝ_min) (log is 1/s-Lipschitz there).
   */
  error(k: number): number;
}

/** Per group: m = max, z = x − m <= 0, e ≈ exp(z) clamped at 0, S = Σ e >= e(0), l ≈ log S. `out` prefixes the internal names. */
export function lowerLogSumExp(ctx: LowerContext, node: IrNode, x: VarTensor, groups: Int32Array[], out: string): LogSumExp {
  const groupOf = new Int32Array(ctx.tensors[x.id].size);
  groups.forEach((g, k) => g.forEach((i) => (groupOf[i] = k)));

  const m = reduceTree(
    ctx,
    node,
    `${out}#max`,
    [groups.length],
    groups.map((g) => Array.from(g, (i): Ref => ({ t: x, i }))),
    'max',
  );
  const zRows = Array.from(groupOf, (k, i) => {
    const row = emptyRow();
    row.terms.push([x.id, i, 1n], [m.id, k, -1n]);
    return row;
  });
  // z is exact against x̂ − m̂; x's error enters once, at the end.
  const z = ctx.addLayer(node, `${out}#shifted`, x.shape, zRows, x.scaleBits, 0, false);
  zRows.forEach((_, i) => tightenBounds(ctx, z, i, ctx.bounds[z.id][i].lo, 0n));

  const e = lowerPwl(ctx, node, z, EXP, `${out}#exp`, { outScale: activationScale(1, ctx.settings), target: PWL_TARGET_ERROR / SOFTMAX_EXP_DIVISOR, relu: true, nondecreasing: true });
  const eAtZero = e.evalInt(0n);
  if (eAtZero <= 0n) throw new ZkmlError('INTERNAL', `node '${node.name}' (${node.opType}): the exp approximation is not positive at 0`);
  const sRows: RowDraft[] = groups.map((g) => {
    const row = emptyRow();
    for (const i of g) row.terms.push([e.out.id, i, 1n]);
    return row;
  });
  const s = ctx.addLayer(node, `${out}#sum`, [groups.length], sRows, e.out.scaleBits, 0, false);
  groups.forEach((_, k) => tightenBounds(ctx, s, k, eAtZero, ctx.bounds[s.id][k].hi));

  const eUnit = 2 ** e.out.scaleBits;
  const sMax = ctx.bounds[s.id].reduce((a, b) => Math.max(a, Number(b.hi)), 0) / eUnit;
  const l = lowerPwl(ctx, node, s, LOG, `${out}#log`, { outScale: activationScale(Math.max(1, Math.log(sMax)), ctx.settings), center: true, exactInput: true });

  const error = (k: number) => {
    const sMin = Math.min(1, Number(ctx.bounds[s.id][k].lo) / eUnit);
    let inputError = 0;
    let sumError = 0;
    for (const j of groups[k]) {
      inputError = Math.max(inputError, ctx.error(x, j));
      sumError += ctx.error(e.out, j);
    }
    return inputError + sumError / sMin;
  };
  return { m, z, l: l.out, error };
}

export function lowerLogSoftmax(node: IrNode, ctx: LowerContext): void {
  const x = ctx.variable(node.inputs[0])!;
  const groups = softmaxGroups(node, x.shape);
  const groupOf = new Int32Array(ctx.tensors[x.id].size);
  groups.forEach((g, k) => g.forEach((i) => (groupOf[i] = k)));
  const { z, l, error } = lowerLogSumExp(ctx, node, x, groups, node.outputs[0]);

  const accScale = Math.max(z.scaleBits, l.scaleBits);
  const yRows = Array.from(groupOf, (k, i) => {
    const row = emptyRow();
    addWeightedTerm(ctx, row, z, i, 1, accScale);
    addWeightedTerm(ctx, row, l, k, -1, accScale);
    // x's error counts twice: in z_i and in the log-sum-exp.
    let inputError = 0;
    for (const j of groups[k]) inputError = Math.max(inputError, ctx.error(x, j));
    row.error += inputError + error(k);
    return row;
  });
  finishRescaled(ctx, node, x.shape, yRows, accScale);
}
