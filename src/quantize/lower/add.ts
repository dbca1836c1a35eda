/** Add → a linear layer with no rescale: operands are aligned to the finer scale by exact powers of two. */
import type { IrNode } from '../../formats/graph';
import { sizeOf } from '../../formats/graph';
import { broadcastIndexMap, broadcastShapes } from '../../onnx/tensor';
import type { LowerContext } from '../context';
import { addConstant, addWeightedTerm, emptyRow, slot } from './terms';

export function lowerAdd(node: IrNode, ctx: LowerContext): void {
  const [a, b] = node.inputs;
  const shapeOf = (n: string) => ctx.variable(n)?.shape ?? ctx.constant(n)!.shape;
  const shape = broadcastShapes(shapeOf(a), shapeOf(b), node.name);
  const operands = [a, b].map((name) => ({ name, v: ctx.variable(name), c: ctx.constant(name), map: broadcastIndexMap(shapeOf(name), shape) }));
  const accScale = Math.max(...operands.map((o) => o.v?.scaleBits ?? 0));
  const params = operands.map((o, k) => o.c && ctx.paramTensor(node, `constant${k}`, o.c.data.length));
  const rows = Array.from({ length: sizeOf(shape) }, (_, i) => {
    const row = emptyRow();
    operands.forEach((o, k) => {
      if (o.v) addWeightedTerm(ctx, row, o.v, o.map[i], 1, accScale);
      else addConstant(row, o.c!.data[o.map[i]], accScale, slot(params[k], o.map[i]));
    });
    return row;
  });
  ctx.addLayer(node, node.outputs[0], shape, rows, accScale, 0, false);
}
