/**
 * Div by a computed value: a / b = a · r with r ≈ 1/b, a piecewise-linear reciprocal over b's
 * bounded range (pwl.ts, its error measured at every integer of that range), then one product per
 * element (or a coefficient, for a constant numerator), rescaled. A divisor range that contains 0
 * gets the exact quotient instead (quotient.ts), which proves the divisor nonzero. Division by a
 * constant stays a coefficient (elementwise.ts).
 */
import type { IrNode } from '../../formats/graph';
import { sizeOf } from '../../formats/graph';
import { broadcastAll } from '../../onnx/ops/elementwise';
import { mathFunction } from '../../onnx/ops/math';
import { broadcastIndexMap } from '../../onnx/tensor';
import type { LowerContext } from '../context';
import { lowerElementwise } from './elementwise';
import { checkDomain } from './math';
import { lowerPwl } from './pwl';
import { activationScale } from '../scales';
import { lowerQuotient, rangeHasZero } from './quotient';
import { addProduct, addWeightedTerm, emptyRow, finishRescaled } from './terms';

export function lowerDivide(node: IrNode, ctx: LowerContext): void {
  const b = ctx.variable(node.inputs[1]);
  if (!b) {
    lowerElementwise(node, ctx);
    return;
  }
  const shapeOf = (n: string) => ctx.variable(n)?.shape ?? ctx.constant(n)!.shape;
  const shape = broadcastAll(node.inputs.map(shapeOf), node.name);
  const mapA = broadcastIndexMap(shapeOf(node.inputs[0]), shape);
  const mapB = broadcastIndexMap(b.shape, shape);
  const a = ctx.variable(node.inputs[0]);
  const k = ctx.constant(node.inputs[0]);
  if (rangeHasZero(ctx, b)) {
    // The divisor may be 0 as far as the bounds know: the exact quotient, which proves it is not.
    const numerators = Array.from({ length: sizeOf(shape) }, (_, i) => (a ? { tensor: a, index: mapA[i] } : { constant: k!.data[mapA[i]] }));
    lowerQuotient(ctx, node, node.outputs[0], shape, numerators, b, mapB);
    return;
  }
  const reciprocal = mathFunction({ ...node, opType: 'Reciprocal' });
  checkDomain(node, ctx, b, reciprocal);
  let maxAbs = 0;
  for (const bound of ctx.bounds[b.id]) maxAbs = Math.max(maxAbs, 1 / Math.min(Math.abs(Number(bound.lo)), Math.abs(Number(bound.hi))));
  const r = lowerPwl(ctx, node, b, reciprocal, `${node.outputs[0]}#reciprocal`, { center: true, outScale: activationScale(maxAbs * 2 ** b.scaleBits, ctx.settings) }).out;

  const accScale = r.scaleBits + (a ? a.scaleBits : activationScale(Math.max(...Array.from(k!.data, Math.abs)), ctx.settings));
  const rows = Array.from({ length: sizeOf(shape) }, (_, i) => {
    const row = emptyRow();
    if (a) addProduct(ctx, row, a, mapA[i], r, mapB[i]);
    else addWeightedTerm(ctx, row, r, mapB[i], k!.data[mapA[i]], accScale);
    return row;
  });
  finishRescaled(ctx, node, shape, rows, accScale);
}
