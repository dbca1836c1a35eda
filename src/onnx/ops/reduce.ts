/**
 * ReduceSum and ReduceMean: axes as an attribute (older opsets) or as a constant second input
 * (ReduceSum opset ≥ 13, ReduceMean opset ≥ 18), keepdims, noop_with_empty_axes. Both are
 * averagings (a sum has count 1), linear in the input.
 */
import { ZkmlError } from '../../errors';
import type { FloatTensor, IrNode } from '../../formats/graph';
import { sizeOf } from '../../formats/graph';
import { strides } from '../tensor';
import { intAttr, OpFamily, requireInputs, unsupportedAttr } from './op-family';
import { allowAttributes, Averaging, evalAveraging, intsAttr } from './windows';

export function reducePlan(node: IrNode, shape: number[], axesInput: FloatTensor | undefined): Averaging {
  allowAttributes(node, ['axes', 'keepdims', 'noop_with_empty_axes']);
  const keepdims = intAttr(node, 'keepdims', 1);
  const noop = intAttr(node, 'noop_with_empty_axes', 0);
  if (keepdims !== 0 && keepdims !== 1) throw unsupportedAttr(node, 'keepdims', keepdims);
  let axes = axesInput ? Array.from(axesInput.data) : intsAttr(node, 'axes', []);
  if (axes.length === 0) {
    if (noop === 1) return { outShape: shape, sources: Array.from({ length: sizeOf(shape) }, (_, i) => Int32Array.of(i)), counts: new Int32Array(sizeOf(shape)).fill(1) };
    axes = shape.map((_, i) => i);
  }
  const rank = shape.length;
  const reduced = new Set(axes.map((a) => (a < 0 ? a + rank : a)));
  if ([...reduced].some((a) => a < 0 || a >= rank) || reduced.size !== axes.length) {
    throw new ZkmlError('SHAPE_MISMATCH', `node '${node.name}' (${node.opType}): axes [${axes}] do not fit a tensor of rank ${rank}`);
  }
  const keptShape = shape.map((d, i) => (reduced.has(i) ? 1 : d));
  const inStrides = strides(shape);
  const keptStrides = strides(keptShape);
  const groups: number[][] = Array.from({ length: sizeOf(keptShape) }, () => []);
  for (let i = 0; i < sizeOf(shape); i++) {
    let o = 0;
    for (let d = 0; d < rank; d++) if (!reduced.has(d)) o += (Math.floor(i / inStrides[d]) % shape[d]) * keptStrides[d];
    groups[o].push(i);
  }
  const count = node.opType === 'ReduceMean' ? sizeOf(shape) / sizeOf(keptShape) : 1;
  return {
    outShape: keepdims ? keptShape : shape.filter((_, i) => !reduced.has(i)),
    sources: groups.map((g) => Int32Array.from(g)),
    counts: new Int32Array(groups.length).fill(count),
  };
}

/** The output shape of a reduction whose axes are an attribute or a constant input (refused when computed at run time). */
export function reduceShape(node: IrNode, shapes: number[][], consts: Array<FloatTensor | undefined>): number[] {
  requireInputs(node, shapes, 1, 2);
  if (shapes.length === 2 && !consts[1]) {
    throw new ZkmlError('ONNX_DYNAMIC_SHAPE', `node '${node.name}' (${node.opType}): the axes are computed at run time`, { node: node.name });
  }
  return reducePlan(node, shapes[0], consts[1]).outShape;
}

export const reduceFamily: OpFamily = {
  ops: ['ReduceSum', 'ReduceMean'],
  inferShapes(node, shapes, consts) {
    return [reduceShape(node, shapes, consts)];
  },
  evalFloat(node, [x, axes]) {
    return [evalAveraging(reducePlan(node, x.shape, axes), x)];
  },
};
