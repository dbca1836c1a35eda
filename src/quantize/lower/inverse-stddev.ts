/**
 * 1/√(v + ε) of a variance (src/onnx/ops/inverse-stddev.ts) as a piecewise-linear function over
 * v's bounded range (pwl.ts), its error measured at every integer of that range.
 */
import type { IrNode } from '../../formats/graph';
import { inverseStdDev } from '../../onnx/ops/inverse-stddev';
import type { LowerContext } from '../context';
import { lowerPwl } from './pwl';

export function lowerInverseStdDev(node: IrNode, ctx: LowerContext): void {
  const v = ctx.variable(node.inputs[0])!;
  lowerPwl(ctx, node, v, inverseStdDev(node), node.outputs[0], { center: true });
}
