/**
 * ReduceLogSumExp per reduced group (the shared log-sum-exp of log-softmax.ts, the max-subtraction
 * keeping every exp input <= 0, so exp stays in (0, 1] and the sum in [e(0), n]):
 *   m = max x exact, z = x − m, e ≈ exp(z), S = Σ e, l ≈ log S, y = m + l (aligned, then rescaled).
 * Error against LSE(x) of the true input: LSE(x̂) = m̂ + log Σ exp(x̂ − m̂) exactly, so
 *   |ŷ − LSE(x)| <= max_j e_xj + Σ_j err(ê_j) / min(1, Ŝ_min) + err(l̂) + output rounding
 * (x's error once: LSE is 1-Lipschitz in the sup norm), err(·) the measured fit errors of pwl.ts.
 */
import type { IrNode } from '../../formats/graph';
import { reducePlan } from '../../onnx/ops/reduce';
import type { LowerContext } from '../context';
import { lowerLogSumExp } from './log-softmax';
import { addWeightedTerm, emptyRow, finishRescaled } from './terms';

export function lowerReduceLogSumExp(node: IrNode, ctx: LowerContext): void {
  const x = ctx.variable(node.inputs[0])!;
  const plan = reducePlan(node, x.shape, node.inputs[1] ? ctx.constant(node.inputs[1]) : undefined);
  const { m, l, error } = lowerLogSumExp(ctx, node, x, plan.sources, node.outputs[0]);
  const accScale = Math.max(m.scaleBits, l.scaleBits);
  const rows = plan.sources.map((_, k) => {
    const row = emptyRow();
    // m̂ is exactly max x̂ and its coefficient a power of two: its error is counted once, in error(k).
    row.terms.push([m.id, k, 1n << BigInt(accScale - m.scaleBits)]);
    addWeightedTerm(ctx, row, l, k, 1, accScale);
    row.error += error(k);
    return row;
  });
  finishRescaled(ctx, node, plan.outShape, rows, accScale);
}
