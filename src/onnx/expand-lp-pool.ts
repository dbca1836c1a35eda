/**
 * Ingest rewrite: LpPool (p = 1 or 2) as ops the compiler already proves (docs/normalisation.md):
 *   p = 1: y = Σ_window |x|          Abs (one relu), then a sum
 *   p = 2: y = √relu(Σ_window x²)     one product per element, a sum, a piecewise-linear √ per output
 * The window sum is a depthwise Conv with a kernel of ones: exact integer additions, no products.
 * kernel_shape, strides, pads, auto_pad, dilations and ceil_mode are read exactly as AveragePool
 * reads them (ops/pool.ts: poolPlan), so the same variants are accepted and refused; zero padding
 * adds nothing to a sum of |x|^p, as in ONNX. Other p are refused naming the attribute.
 */
import { ZkmlError } from '../errors';
import type { FloatTensor, IrNode } from '../formats/graph';
import { sizeOf } from '../formats/graph';
import { Builder, Expansion } from './graph-builder';
import { intAttr, unsupportedAttr } from './ops/op-family';
import { poolPlan } from './ops/pool';
import { intsAttr } from './ops/windows';

export const LP_POOL_OP = 'LpPool';

export function isLpPool(opType: string): boolean {
  return opType === LP_POOL_OP;
}

const WINDOW_ATTRIBUTES = ['auto_pad', 'dilations', 'kernel_shape', 'pads', 'strides'];

export function expandLpPool(node: IrNode, shapes: number[][], _consts: Array<FloatTensor | undefined>): Expansion {
  const b = new Builder(node);
  if (node.inputs.length !== 1 || node.inputs[0] === '') throw new ZkmlError('ONNX_MALFORMED', `node '${node.name}' (LpPool) has ${node.inputs.length} inputs, expected 1`, { node: node.name });
  const p = intAttr(node, 'p', 2);
  if (p !== 1 && p !== 2) throw unsupportedAttr(node, 'p', p);
  const { p: _p, ...windowAttributes } = node.attributes;
  // Validates the window exactly as AveragePool does (ceil_mode only where floor mode gives the same windows).
  poolPlan({ ...node, attributes: windowAttributes }, shapes[0]);
  const channels = shapes[0][1];
  const kernel = intsAttr(node, 'kernel_shape', []);
  const ones: FloatTensor = { shape: [channels, 1, ...kernel], data: new Float64Array(channels * sizeOf(kernel)).fill(1) };
  const conv: IrNode['attributes'] = { group: channels };
  for (const k of WINDOW_ATTRIBUTES) if (windowAttributes[k] !== undefined) conv[k] = windowAttributes[k];
  const x = node.inputs[0];
  const out = node.outputs[0];
  if (p === 1) {
    b.op('Conv', [b.op('Abs', [x]), b.constant('ones', ones)], conv, out);
  } else {
    const square = b.op('Pow', [x, b.constant('two', { shape: [], data: Float64Array.of(2) })]);
    // As in ReduceL2 (expand-reduce.ts): the bounds see x·x as a product that may be negative; a relu per sum gives √ a nonnegative range.
    b.op('Sqrt', [b.op('Relu', [b.op('Conv', [square, b.constant('ones', ones)], conv)])], {}, out);
  }
  return b.expansion();
}
