/**
 * Elementwise arithmetic with numpy broadcasting: Sub, Sum (n-ary add), Neg, Mul (by a constant or
 * of two variable tensors) and Div (by a constant: a coefficient; by a computed value: a product with
 * an approximate reciprocal, src/quantize/lower/divide.ts). Float semantics; integer division is not modelled.
 */
import type { FloatTensor } from '../../formats/graph';
import { sizeOf } from '../../formats/graph';
import { broadcastIndexMap, broadcastShapes } from '../tensor';
import { OpFamily, requireInputs } from './op-family';

export function broadcastAll(shapes: number[][], node: string): number[] {
  return shapes.reduce((acc, s) => broadcastShapes(acc, s, node));
}

const COMBINE: Record<string, (acc: number, v: number) => number> = {
  Sub: (a, b) => a - b,
  Sum: (a, b) => a + b,
  Mul: (a, b) => a * b,
  Div: (a, b) => a / b,
};

export const elementwiseFamily: OpFamily = {
  ops: ['Sub', 'Sum', 'Neg', 'Mul', 'Div'],
  inferShapes(node, shapes) {
    if (node.opType === 'Neg') requireInputs(node, shapes, 1);
    else if (node.opType === 'Sum') requireInputs(node, shapes, 1, Infinity);
    else requireInputs(node, shapes, 2);
    return [broadcastAll(shapes, node.name)];
  },
  evalFloat(node, inputs) {
    if (node.opType === 'Neg') return [{ shape: inputs[0].shape, data: inputs[0].data.map((v) => -v) }];
    const shape = broadcastAll(
      inputs.map((t) => t.shape),
      node.name,
    );
    const combine = COMBINE[node.opType];
    const maps = inputs.map((t) => broadcastIndexMap(t.shape, shape));
    const data = new Float64Array(sizeOf(shape));
    for (let i = 0; i < data.length; i++) {
      let acc = inputs[0].data[maps[0][i]];
      for (let k = 1; k < inputs.length; k++) acc = combine(acc, inputs[k].data[maps[k][i]]);
      data[i] = acc;
    }
    const out: FloatTensor = { shape, data };
    return [out];
  },
};
