/**
 * The internal op the normalisations expand into (expand-normalization.ts): r = 1/√(max(v, 0) + ε)
 * of a variance v, with ε its epsilon attribute. A true variance is never negative; clamping at 0
 * makes r defined and bounded (by 1/√ε) over any input range, so it needs no domain refusal, and
 * |r'| <= ½·(max(lo, 0) + ε)^(−3/2) on [lo, hi] (r is constant below 0). Not an ONNX op: ingest
 * refuses it in a model (load.ts), only the expansion creates it.
 */
import type { IrNode } from '../../formats/graph';
import { floatAttr, OpFamily, requireInputs } from './op-family';
import type { ScalarFunction } from './smooth';
import { allowAttributes } from './windows';

export const INVERSE_STDDEV_OP = 'zkml.InverseStdDev';

export function inverseStdDev(node: IrNode): ScalarFunction {
  const eps = floatAttr(node, 'epsilon', 1e-5);
  return {
    name: `1/√(v + ${eps})`,
    f: (v) => 1 / Math.sqrt(Math.max(v, 0) + eps),
    monotone: 'decreasing',
    lipschitz: (lo) => 0.5 * (Math.max(lo, 0) + eps) ** -1.5,
  };
}

export const inverseStdDevFamily: OpFamily = {
  ops: [INVERSE_STDDEV_OP],
  inferShapes(node, shapes) {
    allowAttributes(node, ['epsilon']);
    requireInputs(node, shapes, 1);
    return [shapes[0]];
  },
  evalFloat(node, [v]) {
    const fn = inverseStdDev(node);
    return [{ shape: v.shape, data: v.data.map((x) => fn.f(x)) }];
  },
};
