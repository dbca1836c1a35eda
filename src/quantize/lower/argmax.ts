/**
 * ArgMax → one selection layer: per output element, the candidates along the axis (coefficient 1)
 * and the ArgMax template (circuits/argmax.circom) proving the output indexes a largest one.
 *
 * The index is exact for the quantized values; against the float model it can differ only where two
 * candidates are closer than their error bounds, so the static bound on the index is n − 1 (how
 * often it differs is measured instead: see docs/bench-mnist-cnn.md).
 */
import type { IrNode } from '../../formats/graph';
import { argMaxPlan } from '../../onnx/ops/argmax';
import type { LowerContext } from '../context';
import { emptyRow } from './terms';

export function lowerArgMax(node: IrNode, ctx: LowerContext): void {
  const x = ctx.variable(node.inputs[0])!;
  const plan = argMaxPlan(node, x.shape);
  const rows = plan.candidates.map((c) => {
    const row = emptyRow();
    for (const i of c) row.terms.push([x.id, i, 1n]);
    row.error = c.length - 1;
    return row;
  });
  ctx.addLayer(node, node.outputs[0], plan.outShape, rows, 0, 0, false, { selectLast: plan.selectLast });
}
