/**
 * Sub, Sum, Neg → signed sums aligned to the finest operand scale by exact powers of two (no
 * rescale, like Add). Mul and Div by a constant → coefficients (kept exact without a rescale when
 * a few bits represent them, else rescaled). Mul of two variable tensors → one product each, rescaled.
 */
import { ZkmlError } from '../../errors';
import type { IrNode } from '../../formats/graph';
import { sizeOf } from '../../formats/graph';
import { broadcastAll } from '../../onnx/ops/elementwise';
import { broadcastIndexMap } from '../../onnx/tensor';
import type { LowerContext, RowDraft } from '../context';
import { coefficientScale, finishLinear } from './linear';
import { addConstant, addProduct, addWeightedTerm, emptyRow, finishRescaled, slot } from './terms';

export function lowerElementwise(node: IrNode, ctx: LowerContext): void {
  const shapeOf = (n: string) => ctx.variable(n)?.shape ?? ctx.constant(n)!.shape;
  const shape = broadcastAll(node.inputs.map(shapeOf), node.name);
  const operands = node.inputs.map((name) => ({ v: ctx.variable(name), c: ctx.constant(name), map: broadcastIndexMap(shapeOf(name), shape) }));
  const size = sizeOf(shape);

  if (node.opType === 'Mul' || node.opType === 'Div') {
    const [a, b] = operands;
    if (a.v && b.v) {
      const [va, vb] = [a.v, b.v];
      const rows = Array.from({ length: size }, (_, i) => {
        const row = emptyRow();
        addProduct(ctx, row, va, a.map[i], vb, b.map[i]);
        return row;
      });
      finishRescaled(ctx, node, shape, rows, va.scaleBits + vb.scaleBits);
      return;
    }
    const [x, k] = a.v ? [a, b] : [b, a];
    const coefs = node.opType === 'Div' ? k.c!.data.map((d) => 1 / d) : k.c!.data;
    if (coefs.some((c) => !Number.isFinite(c))) {
      throw new ZkmlError('ONNX_UNSUPPORTED_OP', `node '${node.name}' (Div): the constant divisor has a zero`, { node: node.name });
    }
    const { scale, exact } = coefficientScale(coefs, ctx.settings);
    const accScale = x.v!.scaleBits + scale;
    const kp = ctx.paramTensor(node, 'constant', coefs.length);
    const rows = Array.from({ length: size }, (_, i) => {
      const row = emptyRow();
      addWeightedTerm(ctx, row, x.v!, x.map[i], coefs[k.map[i]], accScale, slot(kp, k.map[i]));
      return row;
    });
    finishLinear(ctx, node, shape, rows, accScale, exact);
    return;
  }

  // Signed sums: Sub = a − b, Neg = −a, Sum = a + b + ...
  const sign = (k: number) => (node.opType === 'Neg' || (node.opType === 'Sub' && k === 1) ? -1 : 1);
  const accScale = Math.max(...operands.map((o) => o.v?.scaleBits ?? 0));
  const params = operands.map((o, k) => o.c && ctx.paramTensor(node, `constant${k}`, o.c.data.length));
  const rows: RowDraft[] = Array.from({ length: size }, (_, i) => {
    const row = emptyRow();
    operands.forEach((o, k) => {
      if (o.v) addWeightedTerm(ctx, row, o.v, o.map[i], sign(k), accScale);
      else addConstant(row, sign(k) * o.c!.data[o.map[i]], accScale, slot(params[k], o.map[i]));
    });
    return row;
  });
  finishLinear(ctx, node, shape, rows, accScale, true);
}
