/**
 * AveragePool (kernel_shape, strides, pads, auto_pad, dilations, count_include_pad; ceil_mode=1
 * only where it gives the same windows as floor mode) and GlobalAveragePool, over any number of
 * spatial axes. Both are averagings: each output is (1/count) · a sum of input elements.
 */
import { ZkmlError } from '../../errors';
import type { IrNode } from '../../formats/graph';
import { sizeOf } from '../../formats/graph';
import { intAttr, OpFamily, requireInputs, unsupportedAttr } from './op-family';
import { allowAttributes, Averaging, evalAveraging, intsAttr, poolAveraging, resolveWindow, Window } from './windows';

function checkRank(node: IrNode, shape: number[]): void {
  if (shape.length < 3) throw new ZkmlError('SHAPE_MISMATCH', `node '${node.name}' (${node.opType}): input must be [N, C, ...spatial], got [${shape}]`);
}

export function poolPlan(node: IrNode, shape: number[]): Averaging {
  checkRank(node, shape);
  const spatial = shape.slice(2);
  if (node.opType === 'GlobalAveragePool') {
    allowAttributes(node, []);
    const w: Window = { inSpatial: spatial, kernel: spatial, strides: spatial.map(() => 1), dilations: spatial.map(() => 1), padsBegin: spatial.map(() => 0), outSpatial: spatial.map(() => 1) };
    return poolAveraging(shape, w, () => sizeOf(spatial));
  }
  allowAttributes(node, ['auto_pad', 'ceil_mode', 'count_include_pad', 'dilations', 'kernel_shape', 'pads', 'strides']);
  const kernel = intsAttr(node, 'kernel_shape', []);
  if (kernel.length !== spatial.length || kernel.some((k) => k < 1)) throw unsupportedAttr(node, 'kernel_shape', kernel);
  const w = resolveWindow(node, spatial, kernel);
  const ceilMode = intAttr(node, 'ceil_mode', 0);
  if (ceilMode !== 0) {
    // Ceil mode differs from floor mode only when a last, partial window exists.
    const pads = intsAttr(node, 'pads', new Array<number>(2 * spatial.length).fill(0));
    const partial = spatial.some((n, i) => (n + pads[i] + pads[i + spatial.length] - ((kernel[i] - 1) * w.dilations[i] + 1)) % w.strides[i] !== 0);
    if (ceilMode !== 1 || partial || (node.attributes.auto_pad !== undefined && node.attributes.auto_pad !== 'NOTSET')) throw unsupportedAttr(node, 'ceil_mode', ceilMode);
  }
  const includePad = intAttr(node, 'count_include_pad', 0);
  if (includePad !== 0 && includePad !== 1) throw unsupportedAttr(node, 'count_include_pad', includePad);
  return poolAveraging(shape, w, (taps) => (includePad ? sizeOf(kernel) : taps));
}

export const poolFamily: OpFamily = {
  ops: ['AveragePool', 'GlobalAveragePool'],
  inferShapes(node, shapes) {
    requireInputs(node, shapes, 1);
    return [poolPlan(node, shapes[0]).outShape];
  },
  evalFloat(node, [x]) {
    return [evalAveraging(poolPlan(node, x.shape), x)];
  },
};
