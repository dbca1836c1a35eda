/**
 * Softmax, approximated with a proven error bound, per row g of the normalized axis (n elements):
 *   m  = max_i x_i                      exact (relu tree, minmax.ts)
 *   z_i = x_i − m <= 0                  exact, free
 *   e_i ≈ exp(z_i)                      piecewise-linear (pwl.ts), nondecreasing, clamped at 0 (fused relu)
 *   S  = Σ e_i >= e(0) ≈ 1              free
 *   r  ≈ 1 / S                          piecewise-linear over S's bounded range
 *   y_i = e_i · r                       one product each, rescaled to the output scale
 *
 * Error, against the exact softmax p(x) of the true input x (x̂ the integer input, ε_e and ε_r the
 * measured fit errors of exp and 1/S, Ŝ = Σ ê_j computed exactly):
 *   |p(x̂) − p(x)|      <= ½·max_j e_xj            (‖J_softmax‖∞ = max_i 2p_i(1 − p_i) <= ½)
 *   |ê_i/Ŝ − p_i(x̂)|  <= (n − 1)·ε_e / Ŝ_min      (softmax is shift-invariant, so m̂ costs nothing;
 *                                                  |δ_i S − e_i Δ| <= ε_e·(S − e_i + (n − 1)e_i))
 *   |ê_i·r̂ − ê_i/Ŝ|   <= ê_max·ε_r
 * plus the final rounding. exp is fitted to PWL_TARGET_ERROR / SOFTMAX_EXP_DIVISOR because its
 * error counts n − 1 times.
 *
 * Monotone: e is a nondecreasing function of z and one r̂ multiplies a whole row, so the outputs are
 * ordered like the inputs and the argmax is preserved (up to ties from rounding).
 */
import { ZkmlError } from '../../errors';
import type { IrNode } from '../../formats/graph';
import type { ScalarFunction } from '../../onnx/ops/smooth';
import { softmaxGroups } from '../../onnx/ops/softmax';
import type { LowerContext, RowDraft } from '../context';
import { activationScale } from '../scales';
import { Ref, reduceTree, tightenBounds } from './minmax';
import { lowerPwl, PWL_TARGET_ERROR } from './pwl';
import { addWeightedTerm, emptyRow, finishRescaled } from './terms';

/** exp's target error is PWL_TARGET_ERROR divided by this (it is summed over a row). */
export const SOFTMAX_EXP_DIVISOR = 4;

const EXP: ScalarFunction = { name: 'exp', f: Math.exp, lipschitz: (_lo, hi) => Math.exp(hi), left: { slope: 0, intercept: 0 } };
const RECIPROCAL: ScalarFunction = { name: 'reciprocal', f: (s) => 1 / s, lipschitz: (lo) => (lo > 0 ? 1 / (lo * lo) : Infinity) };

export function lowerSoftmax(node: IrNode, ctx: LowerContext): void {
  const x = ctx.variable(node.inputs[0])!;
  const out = node.outputs[0];
  const groups = softmaxGroups(node, x.shape);
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
  // z is exact against its reference x̂ − m̂ (x's error enters once, at the end).
  // Internal tensors carry errors against their own references: exp(ẑ), Σ exp(ẑ), 1/Ŝ.
  const z = ctx.addLayer(node, `${out}#shifted`, x.shape, zRows, x.scaleBits, 0, false);
  zRows.forEach((_, i) => tightenBounds(ctx, z, i, ctx.bounds[z.id][i].lo, 0n));

  const unitScale = activationScale(1, ctx.settings);
  const e = lowerPwl(ctx, node, z, EXP, `${out}#exp`, { outScale: unitScale, target: PWL_TARGET_ERROR / SOFTMAX_EXP_DIVISOR, relu: true, nondecreasing: true });
  const eAtZero = e.evalInt(0n);
  if (!ctx.bounds[e.out.id].every((b) => b.lo >= 0n) || eAtZero <= 0n) {
    throw new ZkmlError('INTERNAL', `node '${node.name}' (Softmax): the exp approximation is not positive at 0`);
  }
  const sRows: RowDraft[] = groups.map((g) => {
    const row = emptyRow();
    for (const i of g) addWeightedTerm(ctx, row, e.out, i, 1, e.out.scaleBits);
    return row;
  });
  const s = ctx.addLayer(node, `${out}#sum`, [groups.length], sRows, e.out.scaleBits, 0, false);
  // Some element of each row has z = 0 exactly (the max is one of them); the others add e >= 0.
  groups.forEach((_, k) => tightenBounds(ctx, s, k, eAtZero, ctx.bounds[s.id][k].hi));

  const r = lowerPwl(ctx, node, s, RECIPROCAL, `${out}#reciprocal`, { outScale: unitScale, center: true, exactInput: true });
  const epsE = e.fit.error;
  const epsR = r.fit.error;
  const eUnit = 2 ** e.out.scaleBits;
  const eMax = ctx.bounds[e.out.id].reduce((a, b) => Math.max(a, Number(b.hi)), 0) / eUnit;
  const yRows = Array.from(groupOf, (k, i) => {
    const row = emptyRow();
    row.products.push([e.out.id, i, r.out.id, k]);
    const g = groups[k];
    const sMin = Number(ctx.bounds[s.id][k].lo) / eUnit;
    let inputError = 0;
    for (const j of g) inputError = Math.max(inputError, ctx.error(x, j));
    row.error = eMax * epsR + ((g.length - 1) * epsE) / sMin + inputError / 2;
    return row;
  });
  // Softmax's exact float values lie in [0, 1]: that caps their error (setFloatRange).
  ctx.setFloatRange(finishRescaled(ctx, node, x.shape, yRows, e.out.scaleBits + r.out.scaleBits), { lo: 0, hi: 1 });
}
