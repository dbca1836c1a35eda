/**
 * Shared by the linear lowerings (Conv, pools, Reduce*, BatchNorm, elementwise arithmetic):
 * coefficient scales that keep simple constants exact, and the choice between keeping an exact
 * result at its accumulator scale (no rescale, zero constraints) and rescaling it.
 */
import type { IrNode } from '../../formats/graph';
import type { Averaging } from '../../onnx/ops/windows';
import type { LowerContext, RowDraft, VarTensor } from '../context';
import { weightScale } from '../scales';
import type { CompileSettings } from '../../formats/settings';
import { addWeightedTerm, emptyRow, finishRescaled } from './terms';

/**
 * Fraction bits for constant coefficients: the fewest at which every value is an integer when that
 * is at most weightScale (1/4, 3, 0.375: exact), else weightScale (the values are rounded).
 */
export function coefficientScale(values: ArrayLike<number>, settings: CompileSettings): { scale: number; exact: boolean } {
  const ws = weightScale(Float64Array.from(values), settings);
  for (let e = 0; e <= ws; e++) {
    const f = 2 ** e;
    let exact = true;
    for (let i = 0; i < values.length && exact; i++) exact = Number.isInteger(values[i] * f);
    if (exact) return { scale: e, exact: true };
  }
  return { scale: ws, exact: false };
}

/** Most fraction bits an exact coefficient may take (float32 weights need at most 24 plus their exponent). */
const MAX_EXACT_COEFFICIENT_SCALE = 40;

/**
 * Coefficient scale of a linear op whose output goes straight into a QuantizeLinear (the QDQ format):
 * exact coefficients when the weights are dyadic within MAX_EXACT_COEFFICIENT_SCALE bits (dequantized
 * int8 weights are), so the only rounding is the requantization's; otherwise coefficientScale.
 */
export function requantizedCoefficientScale(values: ArrayLike<number>, settings: CompileSettings): number {
  for (let e = 0; e <= MAX_EXACT_COEFFICIENT_SCALE; e++) {
    let exact = true;
    for (let i = 0; i < values.length && exact; i++) exact = Number.isSafeInteger(values[i] * 2 ** e);
    if (exact) return e;
  }
  return coefficientScale(values, settings).scale;
}

/**
 * Ends a linear layer. With exact coefficients the accumulator is the exact result at a finer
 * scale: it is kept as it is (no rescale, no constraint; the next rescale drops the extra bits).
 * Otherwise it is rescaled to the calibrated scale (finishRescaled). A following Relu is fused.
 */
export function finishLinear(ctx: LowerContext, node: IrNode, shape: number[], rows: RowDraft[], accScale: number, exact: boolean): VarTensor {
  if (!exact) return finishRescaled(ctx, node, shape, rows, accScale);
  const relu = ctx.fusableRelu(node.outputs[0]);
  const out = ctx.addLayer(node, relu ? relu.outputs[0] : node.outputs[0], shape, rows, accScale, 0, relu !== undefined);
  if (relu) ctx.markFused(relu);
  return out;
}

/** out[o] = (1/count[o]) · Σ x[src]: the pools and the Reduce ops. */
export function lowerAveraging(node: IrNode, ctx: LowerContext, x: VarTensor, plan: Averaging): void {
  const { scale, exact } = coefficientScale(
    Float64Array.from(plan.counts, (c) => 1 / c),
    ctx.settings,
  );
  const accScale = x.scaleBits + scale;
  const rows = plan.sources.map((src, o) => {
    const row = emptyRow();
    for (const i of src) addWeightedTerm(ctx, row, x, i, 1 / plan.counts[o], accScale);
    return row;
  });
  finishLinear(ctx, node, plan.outShape, rows, accScale, exact);
}
