/**
 * ArgMax: axis (default 0, negative counts from the end), keepdims (default 1), select_last_index
 * (default 0: the first largest element wins ties, as onnxruntime does). One plan lists, per output
 * element, the input elements along the axis in order; float evaluation and lowering both read it.
 */
import { ZkmlError } from '../../errors';
import type { IrNode } from '../../formats/graph';
import { sizeOf } from '../../formats/graph';
import { strides } from '../tensor';
import { intAttr, OpFamily, requireInputs, unsupportedAttr } from './op-family';
import { allowAttributes } from './windows';

export interface ArgMaxPlan {
  outShape: number[];
  selectLast: boolean;
  /** Per output element (flat): the flat input indices along the axis, in axis order. */
  candidates: Int32Array[];
}

export function argMaxPlan(node: IrNode, shape: number[]): ArgMaxPlan {
  allowAttributes(node, ['axis', 'keepdims', 'select_last_index']);
  const rank = shape.length;
  const axisAttr = intAttr(node, 'axis', 0);
  const axis = axisAttr < 0 ? axisAttr + rank : axisAttr;
  if (axis < 0 || axis >= rank) throw new ZkmlError('SHAPE_MISMATCH', `node '${node.name}' (ArgMax): axis ${axisAttr} does not fit a tensor of rank ${rank}`, { node: node.name });
  const keepdims = intAttr(node, 'keepdims', 1);
  if (keepdims !== 0 && keepdims !== 1) throw unsupportedAttr(node, 'keepdims', keepdims);
  const selectLast = intAttr(node, 'select_last_index', 0);
  if (selectLast !== 0 && selectLast !== 1) throw unsupportedAttr(node, 'select_last_index', selectLast);
  const n = shape[axis];
  if (n === 0) throw new ZkmlError('SHAPE_MISMATCH', `node '${node.name}' (ArgMax): the axis is empty`, { node: node.name });
  const stride = strides(shape)[axis];
  const outer = sizeOf(shape.slice(0, axis));
  const candidates: Int32Array[] = [];
  for (let o = 0; o < outer; o++) {
    for (let inner = 0; inner < stride; inner++) {
      candidates.push(Int32Array.from({ length: n }, (_, k) => o * n * stride + k * stride + inner));
    }
  }
  const outShape = keepdims ? shape.map((d, i) => (i === axis ? 1 : d)) : shape.filter((_, i) => i !== axis);
  return { outShape, selectLast: selectLast === 1, candidates };
}

/** Position of the first (or last) largest value among data[idx] for idx in candidates. */
export function argMaxOf(data: ArrayLike<number>, candidates: ArrayLike<number>, selectLast: boolean): number {
  let best = 0;
  for (let k = 1; k < candidates.length; k++) {
    const v = data[candidates[k]];
    const b = data[candidates[best]];
    if (v > b || (selectLast && v === b)) best = k;
  }
  return best;
}

export const argMaxFamily: OpFamily = {
  ops: ['ArgMax'],
  inferShapes(node, shapes) {
    requireInputs(node, shapes, 1);
    return [argMaxPlan(node, shapes[0]).outShape];
  },
  evalFloat(node, [x]) {
    const plan = argMaxPlan(node, x.shape);
    return [{ shape: plan.outShape, data: Float64Array.from(plan.candidates, (c) => argMaxOf(x.data, c, plan.selectLast)) }];
  },
};
