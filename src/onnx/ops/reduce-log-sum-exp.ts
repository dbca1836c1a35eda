/**
 * ReduceLogSumExp: y = log Σ exp(x) over the reduced axes, with ReduceSum's axes (attribute, or a
 * constant input from opset 18), keepdims and noop_with_empty_axes. Float semantics here, computed
 * as m + log Σ exp(x − m) with m the group's max (the same value, without overflow); the lowering
 * is src/quantize/lower/reduce-log-sum-exp.ts.
 */
import { logSumExp } from './log-softmax';
import { OpFamily } from './op-family';
import { reducePlan, reduceShape } from './reduce';

export const reduceLogSumExpFamily: OpFamily = {
  ops: ['ReduceLogSumExp'],
  inferShapes(node, shapes, consts) {
    return [reduceShape(node, shapes, consts)];
  },
  evalFloat(node, [x, axes]) {
    const plan = reducePlan(node, x.shape, axes);
    const data = plan.sources.map((g) => logSumExp(x.data, g));
    return [{ shape: plan.outShape, data: Float64Array.from(data) }];
  },
};
