/** Building rows: quantized constant coefficients with their float error accounted for. */
import type { IrNode } from '../../formats/graph';
import type { LowerContext, RowDraft, VarTensor } from '../context';
import type { ParamTensor } from '../params';
import { toCoefficient } from './coefficient';

/**
 * Where a coefficient comes from when weights are private: element `index` of a constant tensor. The
 * coefficient then becomes a weight signal (undefined: a circuit constant).
 */
export type ParamSlot = [tensor: ParamTensor, index: number] | undefined;

/** The slot of element `index` of `tensor`, if the tensor's weights are private. */
export const slot = (tensor: ParamTensor | undefined, index: number): ParamSlot => (tensor ? [tensor, index] : undefined);

export function emptyRow(): RowDraft {
  return { bias: 0n, terms: [], products: [], error: 0 };
}

/**
 * Adds weight * x[index] at accumulator scale `accScale`; the weight is rounded to an integer
 * coefficient. A private weight is always a term, zero or not: the circuit must not depend on it.
 */
export function addWeightedTerm(ctx: LowerContext, row: RowDraft, x: VarTensor, index: number, weight: number, accScale: number, param?: ParamSlot): void {
  const coefScale = 2 ** (accScale - x.scaleBits);
  const coef = Number(toCoefficient(weight, accScale - x.scaleBits));
  // |c·x̂ − w·x| ≤ |c|·|x̂ − x| + |c − w|·|x|, in float units.
  row.error += Math.abs(coef / coefScale) * ctx.error(x, index) + Math.abs(coef / coefScale - weight) * ctx.maxAbs(x, index);
  if (param) row.terms.push([x.id, index, BigInt(coef), param[0].set(param[1], BigInt(coef))]);
  else if (coef !== 0) row.terms.push([x.id, index, BigInt(coef)]);
}

/** Adds a constant at accumulator scale `accScale` (a private one as a weight signal). */
export function addConstant(row: RowDraft, value: number, accScale: number, param?: ParamSlot): void {
  const q = Number(toCoefficient(value, accScale));
  row.error += Math.abs(q / 2 ** accScale - value);
  if (param) addParamTerm(row, param[0].set(param[1], BigInt(q)), 1n);
  else row.bias += BigInt(q);
}

/** Adds coef * w[param] to the row's bias. */
export function addParamTerm(row: RowDraft, param: number, coef: bigint): void {
  (row.paramTerms ??= []).push([param, coef]);
}

/** Adds a[ia] * b[ib]; the product sits at scale a.scale + b.scale. */
export function addProduct(ctx: LowerContext, row: RowDraft, a: VarTensor, ia: number, b: VarTensor, ib: number): void {
  const ea = ctx.error(a, ia);
  const eb = ctx.error(b, ib);
  row.error += ctx.maxAbs(a, ia) * eb + ctx.maxAbs(b, ib) * ea + ea * eb;
  row.products.push([a.id, ia, b.id, ib]);
}

/**
 * Ends a layer whose accumulator carries extra fraction bits (weights or products): rescales it to
 * the output's calibrated scale, fusing a following Relu into the same decomposition when it can.
 */
export function finishRescaled(ctx: LowerContext, node: IrNode, shape: number[], rows: RowDraft[], accScale: number): VarTensor {
  if (ctx.feedsOnlyQuantize(node.outputs[0])) return ctx.addLayer(node, node.outputs[0], shape, rows, accScale, 0, false);
  const relu = ctx.fusableRelu(node.outputs[0]);
  const outName = relu ? relu.outputs[0] : node.outputs[0];
  const shift = Math.max(0, accScale - ctx.targetScale(outName));
  const out = ctx.addLayer(node, outName, shape, rows, accScale, shift, relu !== undefined);
  if (relu) ctx.markFused(relu);
  return out;
}
