/** A BatchNormalization that ingest could not fold: the per-channel affine map a·x + b, one layer. */
import type { IrNode } from '../../formats/graph';
import { batchNormAffine, channelOf } from '../../onnx/ops/batchnorm';
import type { LowerContext } from '../context';
import { coefficientScale, finishLinear } from './linear';
import { addConstant, addWeightedTerm, emptyRow, slot } from './terms';

export function lowerBatchNorm(node: IrNode, ctx: LowerContext): void {
  const x = ctx.variable(node.inputs[0])!;
  const { a, b } = batchNormAffine(
    node,
    node.inputs.slice(1).map((n) => ctx.constant(n)!),
  );
  const { scale, exact } = coefficientScale(a, ctx.settings);
  const accScale = x.scaleBits + scale;
  const ap = ctx.paramTensor(node, 'scale', a.length);
  const bp = ctx.paramTensor(node, 'shift', b.length);
  const rows = Array.from({ length: ctx.tensors[x.id].size }, (_, i) => {
    const c = channelOf(x.shape, i);
    const row = emptyRow();
    addWeightedTerm(ctx, row, x, i, a[c], accScale, slot(ap, c));
    addConstant(row, b[c], accScale, slot(bp, c));
    return row;
  });
  finishLinear(ctx, node, x.shape, rows, accScale, exact);
}
