/** ReduceSum (coefficient 1, no rescale) and ReduceMean (1/count) → one averaging layer. */
import type { IrNode } from '../../formats/graph';
import { reducePlan } from '../../onnx/ops/reduce';
import type { LowerContext } from '../context';
import { lowerAveraging } from './linear';

export function lowerReduce(node: IrNode, ctx: LowerContext): void {
  const x = ctx.variable(node.inputs[0])!;
  const axes = node.inputs[1] !== undefined ? ctx.constant(node.inputs[1]) : undefined;
  lowerAveraging(node, ctx, x, reducePlan(node, x.shape, axes));
}
