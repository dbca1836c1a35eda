/**
 * LogSoftmax: y_i = x_i − log Σ_j exp(x_j) per normalized row, with Softmax's axis rule (opset 13
 * reads one axis, earlier opsets flatten from it; only shapes where both agree are accepted).
 * Float semantics here; the lowering is src/quantize/lower/log-softmax.ts.
 */
import { OpFamily, requireInputs } from './op-family';
import { softmaxGroups } from './softmax';

/** log Σ exp(x_i) over the indices `g`, as m + log Σ exp(x_i − m) with m their max (no overflow). Shared with ReduceLogSumExp. */
export function logSumExp(x: ArrayLike<number>, g: Int32Array): number {
  let m = -Infinity;
  for (const i of g) m = Math.max(m, x[i]);
  let s = 0;
  for (const i of g) s += Math.exp(x[i] - m);
  return m + Math.log(s);
}

export const logSoftmaxFamily: OpFamily = {
  ops: ['LogSoftmax'],
  inferShapes(node, shapes) {
    requireInputs(node, shapes, 1);
    softmaxGroups(node, shapes[0]);
    return [shapes[0]];
  },
  evalFloat(node, [x]) {
    const data = new Float64Array(x.data.length);
    for (const g of softmaxGroups(node, x.shape)) {
      const lse = logSumExp(x.data, g);
      for (const i of g) data[i] = x.data[i] - lse;
    }
    return [{ shape: x.shape, data }];
  },
};
