/** AveragePool, GlobalAveragePool → one averaging layer (free when the window size is a power of two). */
import type { IrNode } from '../../formats/graph';
import { poolPlan } from '../../onnx/ops/pool';
import type { LowerContext } from '../context';
import { lowerAveraging } from './linear';

export function lowerPool(node: IrNode, ctx: LowerContext): void {
  const x = ctx.variable(node.inputs[0])!;
  lowerAveraging(node, ctx, x, poolPlan(node, x.shape));
}
