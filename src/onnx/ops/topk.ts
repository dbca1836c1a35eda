/**
 * TopK(x, k) with a constant k along a static axis: the k largest (or smallest) elements of every
 * line in order, and their indices. Ties go to the lower index first, as onnxruntime orders them.
 * sorted=0 (an unspecified order) is refused. Lowering: src/quantize/lower/topk.ts.
 */
import { ZkmlError } from '../../errors';
import type { FloatTensor, IrNode } from '../../formats/graph';
import { sizeOf } from '../../formats/graph';
import { checkAttributes, intParam, normalizeAxis } from './index-map';
import { intAttr, OpFamily, unsupportedAttr } from './op-family';

export interface TopKPlan {
  outShape: number[];
  k: number;
  /** Elements per line (the axis length). */
  n: number;
  largest: boolean;
  /** Per line: the flat input index of each of its n positions, in axis order. */
  lines: Int32Array[];
  /** Per line: the flat output index of each of its k results. */
  outLines: Int32Array[];
}

export function topKPlan(node: IrNode, shapes: number[][], consts: Array<FloatTensor | undefined>): TopKPlan {
  checkAttributes(node, ['axis', 'largest', 'sorted', 'k']);
  const opsetOne = node.attributes.k !== undefined;
  if (shapes.length !== (opsetOne ? 1 : 2)) {
    throw new ZkmlError('ONNX_MALFORMED', `node '${node.name}' (TopK) has ${shapes.length} inputs, expected ${opsetOne ? 1 : 2}`, { node: node.name });
  }
  const shape = shapes[0];
  if (shape.length === 0) throw new ZkmlError('SHAPE_MISMATCH', `node '${node.name}' (TopK): the input is a scalar`, { node: node.name });
  const axis = normalizeAxis(node, intAttr(node, 'axis', -1), shape.length);
  for (const a of ['largest', 'sorted']) if (![0, 1].includes(intAttr(node, a, 1))) throw unsupportedAttr(node, a, node.attributes[a]);
  if (intAttr(node, 'sorted', 1) !== 1) throw unsupportedAttr(node, 'sorted', 0);
  const kv = opsetOne ? [intAttr(node, 'k', 0)] : intParam(node, consts, 2, 1, undefined, 'k')!;
  const n = shape[axis];
  if (kv.length !== 1 || kv[0] < 1 || kv[0] > n) {
    throw new ZkmlError('SHAPE_MISMATCH', `node '${node.name}' (TopK): k = [${kv}] must be one value in 1..${n} (the axis length)`, { node: node.name });
  }
  const k = kv[0];
  const outer = sizeOf(shape.slice(0, axis));
  const inner = sizeOf(shape.slice(axis + 1));
  const lines: Int32Array[] = [];
  const outLines: Int32Array[] = [];
  for (let a = 0; a < outer; a++) {
    for (let i = 0; i < inner; i++) {
      lines.push(Int32Array.from({ length: n }, (_, p) => (a * n + p) * inner + i));
      outLines.push(Int32Array.from({ length: k }, (_, p) => (a * k + p) * inner + i));
    }
  }
  const outShape = shape.map((d, i) => (i === axis ? k : d));
  return { outShape, k, n, largest: intAttr(node, 'largest', 1) === 1, lines, outLines };
}

/** Positions 0..n−1 of a line ordered best first: larger (smaller) values, then lower positions. */
export function topKOrder(values: ArrayLike<number>, largest: boolean): number[] {
  const order = Array.from({ length: values.length }, (_, p) => p);
  return order.sort((p, q) => (values[p] === values[q] ? p - q : largest ? values[q] - values[p] : values[p] - values[q]));
}

export const topKFamily: OpFamily = {
  ops: ['TopK'],
  inferShapes(node, shapes, consts) {
    const plan = topKPlan(node, shapes, consts);
    return [plan.outShape, plan.outShape];
  },
  evalFloat(node, inputs) {
    const [x] = inputs;
    const plan = topKPlan(
      node,
      inputs.map((t) => t.shape),
      inputs,
    );
    const values = new Float64Array(sizeOf(plan.outShape));
    const indices = new Float64Array(values.length);
    plan.lines.forEach((line, l) => {
      const order = topKOrder(
        Array.from(line, (i) => x.data[i]),
        plan.largest,
      );
      for (let j = 0; j < plan.k; j++) {
        values[plan.outLines[l][j]] = x.data[line[order[j]]];
        indices[plan.outLines[l][j]] = order[j];
      }
    });
    return [
      { shape: plan.outShape, data: values },
      { shape: plan.outShape, data: indices },
    ];
  },
};
