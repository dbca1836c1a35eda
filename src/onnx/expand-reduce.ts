/**
 * Ingest rewrite: the reductions that are a sum of a function of x are expanded into ops the
 * compiler already proves (docs/activations.md, "Math ops"):
 *   ReduceL1 = ReduceSum(|x|), ReduceSumSquare = ReduceSum(x²), ReduceL2 = √relu(ReduceSum(x²)).
 * |x| is one relu, x² one product (exact), the sums are free, and √ a measured piecewise-linear fit
 * over the sum's bounded range (0 included). axes, keepdims and noop_with_empty_axes carry over.
 */
import { ZkmlError } from '../errors';
import type { FloatTensor, IrNode } from '../formats/graph';
import { Builder, Expansion } from './graph-builder';
import { intAttr, present } from './ops/op-family';

export const REDUCE_EXPANSIONS: readonly string[] = ['ReduceL1', 'ReduceL2', 'ReduceSumSquare'];

export function isReduceExpansion(opType: string): boolean {
  return REDUCE_EXPANSIONS.includes(opType);
}

export function expandReduce(node: IrNode, _shapes: number[][], consts: Array<FloatTensor | undefined>): Expansion {
  const b = new Builder(node);
  for (const k of Object.keys(node.attributes)) {
    if (!['axes', 'keepdims', 'noop_with_empty_axes'].includes(k)) {
      throw new ZkmlError('ONNX_UNSUPPORTED_ATTRIBUTE', `node '${node.name}' (${node.opType}): attribute ${k} is not supported`, { node: node.name, opType: node.opType, attribute: k });
    }
  }
  // Opset 18 gives the axes as an input: it must be a constant.
  const attributes: IrNode['attributes'] = { keepdims: intAttr(node, 'keepdims', 1), noop_with_empty_axes: intAttr(node, 'noop_with_empty_axes', 0) };
  if (present(node, 1)) {
    const axes = consts[1];
    if (!axes) throw new ZkmlError('ONNX_DYNAMIC_SHAPE', `node '${node.name}' (${node.opType}): the axes are computed at run time`, { node: node.name });
    if (axes.data.length > 0) attributes.axes = Array.from(axes.data);
  } else if (node.attributes.axes !== undefined) {
    attributes.axes = node.attributes.axes;
  }
  const x = node.inputs[0];
  const out = node.outputs[0];
  if (node.opType === 'ReduceL1') {
    b.op('ReduceSum', [b.op('Abs', [x])], attributes, out);
  } else {
    const square = b.op('Pow', [x, b.constant('two', { shape: [], data: Float64Array.of(2) })]);
    if (node.opType === 'ReduceSumSquare') b.op('ReduceSum', [square], attributes, out);
    // The bound analysis sees x·x as a product of two values, which may be negative: a relu per sum
    // (not per element) gives √ a nonnegative range, and changes nothing on a true sum of squares.
    else b.op('Sqrt', [b.op('Relu', [b.op('ReduceSum', [square], attributes)])], {}, out);
  }
  return b.expansion();
}
