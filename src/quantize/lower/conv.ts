/**
 * Conv and ConvTranspose → one accumulate layer: constant weights are coefficients (no constraints),
 * then one rescale (+ fused Relu). Both are a Contraction plus a per-channel bias.
 */
import type { IrNode } from '../../formats/graph';
import { convPlan } from '../../onnx/ops/conv';
import type { ConvPlan } from '../../onnx/ops/conv-plan';
import { convTransposePlan } from '../../onnx/ops/conv-transpose';
import type { LowerContext } from '../context';
import { coefficientScale, requantizedCoefficientScale } from './linear';
import { addConstant, addWeightedTerm, emptyRow, finishRescaled, slot } from './terms';

export function lowerConv(node: IrNode, ctx: LowerContext): void {
  const [xName, wName, bName] = node.inputs;
  const x = ctx.variable(xName)!;
  const w = ctx.constant(wName)!;
  const bias = bName !== undefined ? ctx.constant(bName)! : undefined;
  const plan: ConvPlan = (node.opType === 'ConvTranspose' ? convTransposePlan : convPlan)(node, x.shape, w.shape);
  const wScale = ctx.feedsOnlyQuantize(node.outputs[0]) ? requantizedCoefficientScale(w.data, ctx.settings) : coefficientScale(w.data, ctx.settings).scale;
  const accScale = x.scaleBits + wScale;
  const wp = ctx.paramTensor(node, 'weights', w.data.length);
  const bp = bias && ctx.paramTensor(node, 'bias', bias.data.length);
  const rows = plan.contraction.pairs.map((pair, o) => {
    const row = emptyRow();
    for (let r = 0; r < pair.a.length; r++) addWeightedTerm(ctx, row, x, pair.a[r], w.data[pair.b[r]], accScale, slot(wp, pair.b[r]));
    const channel = Math.floor(o / plan.plane) % plan.channels;
    if (bias) addConstant(row, bias.data[channel], accScale, slot(bp, channel));
    return row;
  });
  finishRescaled(ctx, node, plan.contraction.outShape, rows, accScale);
}
