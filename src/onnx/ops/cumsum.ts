/**
 * CumSum(x, axis) with a constant axis, exclusive and reverse: each output element is the sum of a
 * run of input elements along the axis (coefficient 1), a LinearMap: no constraint in the circuit.
 */
import { ZkmlError } from '../../errors';
import type { FloatTensor, IrNode } from '../../formats/graph';
import { sizeOf } from '../../formats/graph';
import { checkAttributes, intParam, normalizeAxis, requireCount } from './index-map';
import { LinearMap, linearMapFamily } from './linear-map';
import { intAttr, unsupportedAttr } from './op-family';

function cumSumAxis(node: IrNode, shapes: number[][], consts: Array<FloatTensor | undefined>): number {
  checkAttributes(node, ['exclusive', 'reverse']);
  requireCount(node, shapes.length, 2);
  for (const a of ['exclusive', 'reverse']) if (![0, 1].includes(intAttr(node, a, 0))) throw unsupportedAttr(node, a, node.attributes[a]);
  const axis = intParam(node, consts, 2, 1, undefined, 'axis')!;
  if (axis.length !== 1) throw new ZkmlError('SHAPE_MISMATCH', `node '${node.name}' (CumSum): axis must be a scalar, got [${axis}]`, { node: node.name });
  if (shapes[0].length === 0) throw new ZkmlError('SHAPE_MISMATCH', `node '${node.name}' (CumSum): the input is a scalar`, { node: node.name });
  return normalizeAxis(node, axis[0], shapes[0].length);
}

function cumSumMap(node: IrNode, shapes: number[][], consts: Array<FloatTensor | undefined>): LinearMap {
  const axis = cumSumAxis(node, shapes, consts);
  const shape = shapes[0];
  const exclusive = intAttr(node, 'exclusive', 0) === 1;
  const reverse = intAttr(node, 'reverse', 0) === 1;
  const dim = shape[axis];
  const inner = sizeOf(shape.slice(axis + 1));
  const sources: Int32Array[] = [];
  for (let o = 0; o < sizeOf(shape); o++) {
    const j = Math.floor(o / inner) % dim;
    const base = o - j * inner;
    // Inclusive forward: positions 0..j; exclusive drops j; reverse counts from the end.
    const from = reverse ? (exclusive ? j + 1 : j) : 0;
    const to = reverse ? dim - 1 : exclusive ? j - 1 : j;
    const src: number[] = [];
    for (let t = from; t <= to; t++) src.push(base + t * inner);
    sources.push(Int32Array.from(src));
  }
  return { outShape: shape, sources, weights: sources.map((s) => new Float64Array(s.length).fill(1)) };
}

export const cumSumFamily = linearMapFamily(['CumSum'], {
  shape(node, shapes, consts) {
    cumSumAxis(node, shapes, consts);
    return shapes[0];
  },
  map: cumSumMap,
});
