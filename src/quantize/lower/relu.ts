/** A Relu that could not be fused into a rescale: a sign decomposition and one product per element. */
import type { IrNode } from '../../formats/graph';
import type { LowerContext } from '../context';
import { addWeightedTerm, emptyRow } from './terms';

export function lowerRelu(node: IrNode, ctx: LowerContext): void {
  const x = ctx.variable(node.inputs[0])!;
  const rows = Array.from({ length: ctx.tensors[x.id].size }, (_, i) => {
    const row = emptyRow();
    addWeightedTerm(ctx, row, x, i, 1, x.scaleBits);
    return row;
  });
  ctx.addLayer(node, node.outputs[0], x.shape, rows, x.scaleBits, 0, true);
}
