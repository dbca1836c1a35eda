/**
 * The max/min family: MaxPool, GlobalMaxPool, elementwise Max/Min (n-ary, broadcasting) and
 * ReduceMax/ReduceMin. Each is described by one plan: every output element is the max (or min) of a
 * listed set of input elements. Float evaluation and lowering both read the plan, so they cannot
 * disagree about which elements meet.
 */
import { ZkmlError } from '../../errors';
import type { FloatTensor, IrNode } from '../../formats/graph';
import { sizeOf } from '../../formats/graph';
import { broadcastIndexMap, broadcastShapes, strides } from '../tensor';
import { intAttr, OpFamily, requireInputs, unsupportedAttr } from './op-family';
import { allowAttributes, intsAttr, poolAveraging, resolveWindow } from './windows';

/** One source of an output element: element `index` (flat) of the node's input number `input`. */
export type Source = [input: number, index: number];

export interface MinMaxPlan {
  kind: 'max' | 'min';
  outShape: number[];
  /** Per output element (flat): the elements it is the max/min of, never empty. */
  sources: Source[][];
}

function poolRank(node: IrNode, shape: number[]): void {
  if (shape.length < 3) throw new ZkmlError('SHAPE_MISMATCH', `node '${node.name}' (${node.opType}): input must be [N, C, ...spatial], got [${shape}]`);
}

function maxPoolPlan(node: IrNode, shape: number[]): MinMaxPlan {
  poolRank(node, shape);
  if (node.outputs.length > 1 && node.outputs[1] !== '') {
    throw new ZkmlError('ONNX_UNSUPPORTED_ATTRIBUTE', `node '${node.name}' (MaxPool): the Indices output is not supported`, { node: node.name });
  }
  const spatial = shape.slice(2);
  allowAttributes(node, ['auto_pad', 'ceil_mode', 'dilations', 'kernel_shape', 'pads', 'storage_order', 'strides']);
  const kernel = intsAttr(node, 'kernel_shape', []);
  if (kernel.length !== spatial.length || kernel.some((k) => k < 1)) throw unsupportedAttr(node, 'kernel_shape', kernel);
  const storageOrder = intAttr(node, 'storage_order', 0);
  if (storageOrder !== 0) throw unsupportedAttr(node, 'storage_order', storageOrder);
  const ceilMode = intAttr(node, 'ceil_mode', 0);
  if (ceilMode !== 0) throw unsupportedAttr(node, 'ceil_mode', ceilMode);
  const w = resolveWindow(node, spatial, kernel);
  // Padded positions are skipped (ONNX pads MaxPool with -inf): padding can never win.
  const plan = poolAveraging(shape, w, () => 1);
  if (plan.sources.some((s) => s.length === 0)) {
    throw unsupportedAttr(node, 'pads', node.attributes.pads);
  }
  return { kind: 'max', outShape: plan.outShape, sources: plan.sources.map((s) => Array.from(s, (i): Source => [0, i])) };
}

function globalMaxPoolPlan(node: IrNode, shape: number[]): MinMaxPlan {
  poolRank(node, shape);
  allowAttributes(node, []);
  const plane = sizeOf(shape.slice(2));
  const sources: Source[][] = [];
  for (let p = 0; p < shape[0] * shape[1]; p++) sources.push(Array.from({ length: plane }, (_, i): Source => [0, p * plane + i]));
  return { kind: 'max', outShape: [shape[0], shape[1], ...shape.slice(2).map(() => 1)], sources };
}

function elementwisePlan(node: IrNode, shapes: number[][]): MinMaxPlan {
  allowAttributes(node, []);
  if (shapes.length < 1) throw new ZkmlError('ONNX_MALFORMED', `node '${node.name}' (${node.opType}) has no inputs`);
  const outShape = shapes.reduce((a, b) => broadcastShapes(a, b, node.name));
  const maps = shapes.map((s) => broadcastIndexMap(s, outShape));
  const sources = Array.from({ length: sizeOf(outShape) }, (_, o) => maps.map((m, k): Source => [k, m[o]]));
  return { kind: node.opType === 'Max' ? 'max' : 'min', outShape, sources };
}

/** The reduced axes of ReduceMax/ReduceMin: the `axes` attribute (opset < 18) or constant input (opset 18). */
function reduceAxes(node: IrNode, rank: number, shapes: number[][], consts: Array<FloatTensor | undefined>): number[] | 'none' {
  let axes: number[];
  if (node.attributes.axes !== undefined) {
    axes = intsAttr(node, 'axes', []);
  } else if (shapes.length > 1) {
    const c = consts[1];
    if (!c) throw new ZkmlError('ONNX_DYNAMIC_SHAPE', `node '${node.name}' (${node.opType}): the axes are computed at run time`, { node: node.name });
    axes = Array.from(c.data);
  } else {
    axes = [];
  }
  if (axes.length === 0) {
    if (intAttr(node, 'noop_with_empty_axes', 0) === 1) return 'none';
    return Array.from({ length: rank }, (_, i) => i);
  }
  const norm = axes.map((a) => (a < 0 ? a + rank : a));
  if (norm.some((a) => !Number.isInteger(a) || a < 0 || a >= rank) || new Set(norm).size !== norm.length) throw unsupportedAttr(node, 'axes', axes);
  return norm;
}

function reducePlan(node: IrNode, shapes: number[][], consts: Array<FloatTensor | undefined>): MinMaxPlan {
  requireInputs(node, shapes, 1, 2);
  allowAttributes(node, ['axes', 'keepdims', 'noop_with_empty_axes']);
  const shape = shapes[0];
  const kind = node.opType === 'ReduceMax' ? 'max' : 'min';
  const axes = reduceAxes(node, shape.length, shapes, consts);
  if (axes === 'none') return { kind, outShape: shape, sources: Array.from({ length: sizeOf(shape) }, (_, i) => [[0, i] as Source]) };
  const keep = intAttr(node, 'keepdims', 1);
  if (keep !== 0 && keep !== 1) throw unsupportedAttr(node, 'keepdims', keep);
  const reduced = new Set(axes);
  const keptShape = shape.map((d, i) => (reduced.has(i) ? 1 : d));
  const outShape = keep ? keptShape : shape.filter((_, i) => !reduced.has(i));
  const inStrides = strides(shape);
  const outStrides = strides(keptShape);
  const sources: Source[][] = Array.from({ length: sizeOf(keptShape) }, () => []);
  for (let flat = 0; flat < sizeOf(shape); flat++) {
    let o = 0;
    for (let d = 0; d < shape.length; d++) {
      const coord = Math.floor(flat / inStrides[d]) % shape[d];
      if (!reduced.has(d)) o += coord * outStrides[d];
    }
    sources[o].push([0, flat]);
  }
  return { kind, outShape, sources };
}

export function minMaxPlan(node: IrNode, shapes: number[][], consts: Array<FloatTensor | undefined>): MinMaxPlan {
  switch (node.opType) {
    case 'MaxPool':
      requireInputs(node, shapes, 1);
      return maxPoolPlan(node, shapes[0]);
    case 'GlobalMaxPool':
      requireInputs(node, shapes, 1);
      return globalMaxPoolPlan(node, shapes[0]);
    case 'Max':
    case 'Min':
      return elementwisePlan(node, shapes);
    default:
      return reducePlan(node, shapes, consts);
  }
}

export const minMaxFamily: OpFamily = {
  ops: ['MaxPool', 'GlobalMaxPool', 'Max', 'Min', 'ReduceMax', 'ReduceMin'],
  inferShapes(node, shapes, consts) {
    return [minMaxPlan(node, shapes, consts).outShape];
  },
  evalFloat(node, inputs) {
    const plan = minMaxPlan(
      node,
      inputs.map((t) => t.shape),
      inputs,
    );
    const pick = plan.kind === 'max' ? Math.max : Math.min;
    const data = Float64Array.from(plan.sources, (src) => src.reduce((acc, [k, i]) => pick(acc, inputs[k].data[i]), plan.kind === 'max' ? -Infinity : Infinity));
    return [{ shape: plan.outShape, data }];
  },
};
