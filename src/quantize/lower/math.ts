/**
 * Math ops → a piecewise-linear approximation over the input's bounded range (pwl.ts), with the
 * approximation's error measured at every integer of that range; Pow with a small nonnegative
 * integer exponent → exact products instead. An input range that reaches where the function is
 * undefined or unbounded (Log, Reciprocal, Sqrt of x <= 0 or < 0, Tan at a pole, Asin/Acos beyond
 * ±1, a fractional power of x < 0) is refused as FUNCTION_UNBOUNDED, naming the node, the function
 * and the range: the float model has no finite value there, so no error bound can hold.
 */
import { ZkmlError } from '../../errors';
import type { IrNode } from '../../formats/graph';
import { MathFunction, mathFunction, powExponent } from '../../onnx/ops/math';
import { imageOf, ScalarFunction } from '../../onnx/ops/smooth';
import type { LowerContext, VarTensor } from '../context';
import { activationScale } from '../scales';
import { lowerPwl } from './pwl';
import { lowerQuotient, rangeHasZero } from './quotient';
import { addProduct, emptyRow, finishRescaled } from './terms';

/** Pow(x, p) for integer 0 <= p <= this is computed exactly by p − 1 products. */
export const MAX_EXACT_POWER = 8;

export function lowerMath(node: IrNode, ctx: LowerContext): void {
  const x = ctx.variable(node.inputs[0])!;
  const exponent = node.opType === 'Pow' ? powExponent(node, ctx.constant(node.inputs[1])) : undefined;
  if (exponent !== undefined && Number.isInteger(exponent) && exponent >= 0 && exponent <= MAX_EXACT_POWER) {
    lowerIntegerPower(node, ctx, x, exponent);
    return;
  }
  if ((node.opType === 'Reciprocal' || (exponent !== undefined && exponent < 0)) && rangeHasZero(ctx, x)) {
    lowerInverseNearZero(node, ctx, x, exponent);
    return;
  }
  const fn = clampToDomain(node, ctx, x, mathFunction(node, exponent));
  checkDomain(node, ctx, x, fn);
  lowerPwl(ctx, node, x, fn, node.outputs[0], { center: true });
}

/**
 * Asin, Acos: when the quantized input's range strays past [−1, 1] (an earlier approximation's
 * error: Acos(Cos(x)) may see cos's fit reach 1.004) while the exact float input provably stays
 * inside it (ctx.floatInterval: the float op's own image, e.g. cos ∈ [−1, 1]), the circuit computes
 * f of the quantized input clamped to the domain. The float model then has a value, and clamping
 * moves x̂ toward the float x (|clamp(x̂) − x| <= |x̂ − x| for x in the domain), so f's modulus of
 * continuity and the range cap still bound the carried error. A float input that can leave the
 * domain keeps the refusal: the float model itself has no value there.
 */
function clampToDomain(node: IrNode, ctx: LowerContext, x: VarTensor, fn: MathFunction): MathFunction {
  const d = fn.domain;
  const q = floatRange(ctx, x);
  if (!d || (q.lo >= d.lo && q.hi <= d.hi)) return fn;
  const float = ctx.floatInterval(x);
  if (float.lo < d.lo || float.hi > d.hi) {
    throw new ZkmlError(
      'FUNCTION_UNBOUNDED',
      `node '${node.name}' (${node.opType}): ${fn.name} is undefined outside [${d.lo}, ${d.hi}], and the input range is [${q.lo.toPrecision(4)}, ${q.hi.toPrecision(4)}] (its float value in [${float.lo.toPrecision(4)}, ${float.hi.toPrecision(4)}]); narrow the input range (calibration or inputRange) or remove the op`,
      { node: node.name, opType: node.opType, lo: q.lo, hi: q.hi },
    );
  }
  const c = (v: number) => Math.min(d.hi, Math.max(d.lo, v));
  const propagate = fn.propagate;
  return {
    name: fn.name,
    f: (v) => fn.f(c(v)),
    lipschitz: (lo, hi) => fn.lipschitz(c(lo), c(hi)),
    ...(propagate ? { propagate: (e: number, lo: number, hi: number) => propagate(e, c(lo), c(hi)) } : {}),
    image: (lo, hi) => imageOf(fn, c(lo), c(hi)) ?? { lo: -Infinity, hi: Infinity },
    refuse: () => undefined,
  };
}

/**
 * 1/x and x^p (p < 0) of an input whose range contains 0: the exact quotient 1/x (quotient.ts), which
 * proves x ≠ 0 and is bounded by one over the quantum; then, for p ≠ −1, y^|p| of that bounded
 * y = 1/x (exact products for a small integer |p|, else the piecewise-linear fit over y's range).
 * A fractional p with x < 0 in range is refused (x^p is undefined there).
 */
function lowerInverseNearZero(node: IrNode, ctx: LowerContext, x: VarTensor, exponent: number | undefined): void {
  const p = exponent ?? -1;
  const { lo } = floatRange(ctx, x);
  if (!Number.isInteger(p) && lo < 0) {
    throw new ZkmlError('FUNCTION_UNBOUNDED', `node '${node.name}' (Pow): Pow(x, ${p}) is undefined for x < 0 and the input range reaches ${lo}`, { node: node.name, opType: node.opType, lo });
  }
  const n = ctx.tensors[x.id].size;
  const ones = Array.from({ length: n }, () => ({ constant: 1 }));
  const identity = Array.from({ length: n }, (_, i) => i);
  if (p === -1) {
    lowerQuotient(ctx, node, node.outputs[0], x.shape, ones, x, identity);
    return;
  }
  const y = lowerQuotient(ctx, node, `${node.outputs[0]}#reciprocal`, x.shape, ones, x, identity);
  if (Number.isInteger(p) && -p <= MAX_EXACT_POWER) {
    lowerIntegerPower(node, ctx, y, -p);
    return;
  }
  const fn = mathFunction(node, -p);
  checkDomain(node, ctx, y, fn);
  lowerPwl(ctx, node, y, fn, node.outputs[0], { center: true });
}

/**
 * Refuses (FUNCTION_UNBOUNDED) an input whose integer range leaves f's domain, or whose error bound
 * reaches where f is unbounded: for a true input outside the domain the float model has no value.
 */
export function checkDomain(node: IrNode, ctx: LowerContext, x: VarTensor, fn: MathFunction): void {
  const { lo, hi, error } = floatRange(ctx, x);
  const why =
    fn.refuse(lo, hi) ??
    (Number.isFinite(carriedError(fn, error, lo, hi)) ? undefined : `the input's error bound ${error.toPrecision(3)} reaches where ${fn.name} is unbounded (range [${lo}, ${hi}])`);
  if (why) {
    throw new ZkmlError('FUNCTION_UNBOUNDED', `node '${node.name}' (${node.opType}): ${why}; narrow the input range (calibration or inputRange) or remove the op`, {
      node: node.name,
      opType: node.opType,
      lo,
      hi,
    });
  }
}

/** The bound on |f(x) − f(x̂)| for x̂ in [lo, hi] and |x − x̂| <= e (as pwl.ts carries it). */
function carriedError(fn: ScalarFunction, e: number, lo: number, hi: number): number {
  if (e === 0) return 0;
  return fn.propagate ? fn.propagate(e, lo, hi) : fn.lipschitz(lo - e, hi + e) * e;
}

/** The float range of the integer input (dequantized) and its largest error. */
export function floatRange(ctx: LowerContext, x: VarTensor): { lo: number; hi: number; error: number } {
  const unit = 2 ** x.scaleBits;
  let lo = Infinity;
  let hi = -Infinity;
  let error = 0;
  ctx.bounds[x.id].forEach((b, j) => {
    lo = Math.min(lo, Number(b.lo) / unit);
    hi = Math.max(hi, Number(b.hi) / unit);
    error = Math.max(error, ctx.error(x, j));
  });
  return { lo, hi, error };
}

/** x^p by p − 1 products, each rescaled to the scale its calibrated magnitude needs (the last to the output's). */
function lowerIntegerPower(node: IrNode, ctx: LowerContext, x: VarTensor, p: number): void {
  const n = ctx.tensors[x.id].size;
  if (p === 0) {
    // x^0 = 1 (ONNX: also for x = 0): a constant row, free.
    const rows = Array.from({ length: n }, () => ({ ...emptyRow(), bias: 1n }));
    ctx.addLayer(node, node.outputs[0], x.shape, rows, 0, 0, false);
    return;
  }
  if (p === 1) {
    ctx.alias(node.outputs[0], x, x.shape);
    return;
  }
  let cur = x;
  for (let k = 2; k <= p; k++) {
    const rows = Array.from({ length: n }, (_, j) => {
      const row = emptyRow();
      addProduct(ctx, row, cur, j, x, j);
      return row;
    });
    const accScale = cur.scaleBits + x.scaleBits;
    if (k === p) {
      finishRescaled(ctx, node, x.shape, rows, accScale);
      return;
    }
    let maxAbs = 0;
    for (let j = 0; j < n; j++) maxAbs = Math.max(maxAbs, ctx.maxAbs(x, j) ** k);
    const shift = Math.max(0, accScale - activationScale(maxAbs, ctx.settings));
    cur = ctx.addLayer(node, `${node.outputs[0]}#pow${k}`, x.shape, rows, accScale, shift, false);
  }
}
