/**
 * Smooth activations: Sigmoid, Tanh, Softplus, Elu, Selu, Celu and Gelu (opset 20, approximate
 * 'none' or 'tanh'). Float semantics here; the circuit computes a piecewise-linear approximation
 * with a measured error bound (src/quantize/lower/pwl.ts, docs/activations.md).
 */
import { ZkmlError } from '../../errors';
import type { IrNode } from '../../formats/graph';
import { floatAttr, OpFamily, requireInputs, unsupportedAttr } from './op-family';
import { allowAttributes, stringAttr } from './windows';

/** y = slope·x + intercept. */
export interface Line {
  slope: number;
  intercept: number;
}

/** A scalar function with what the piecewise-linear approximation needs to know about it. */
export interface ScalarFunction {
  name: string;
  f(x: number): number;
  /** An upper bound on |f'| over [lo, hi] (propagates the input's error). */
  lipschitz(lo: number, hi: number): number;
  /**
   * A bound on |f(x) − f(x̂)| for x̂ in [lo, hi] and |x − x̂| <= e, when it is tighter than
   * lipschitz(lo − e, hi + e)·e or finite where that is not (√ at 0 is ½-Hölder, not Lipschitz).
   */
  propagate?(e: number, lo: number, hi: number): number;
  /** The lines f approaches as x → −∞ and x → +∞, if any (|f − line| decreasing beyond a point). */
  left?: Line;
  right?: Line;
  /** f is monotone everywhere it is defined: the image of an interval is spanned by its ends. */
  monotone?: 'increasing' | 'decreasing';
  /** The exact image of [lo, hi] when f is not monotone (Sin, Cos). */
  image?(lo: number, hi: number): { lo: number; hi: number };
}

/**
 * The image f([lo, hi]) when it is known exactly (monotone, or an `image`); undefined when it is
 * not, or when f is not finite there (outside its domain, at a pole): then nothing is capped by it.
 */
export function imageOf(fn: ScalarFunction, lo: number, hi: number): { lo: number; hi: number } | undefined {
  let r: { lo: number; hi: number } | undefined;
  if (fn.image) r = fn.image(lo, hi);
  else if (fn.monotone) {
    const a = fn.f(lo);
    const b = fn.f(hi);
    r = fn.monotone === 'increasing' ? { lo: a, hi: b } : { lo: b, hi: a };
  }
  return r && Number.isFinite(r.lo) && Number.isFinite(r.hi) && r.lo <= r.hi ? r : undefined;
}

/** sin([lo, hi]): the ends, and ±1 where a crest π/2 + 2kπ or a trough −π/2 + 2kπ lies inside. */
export function sineImage(lo: number, hi: number): { lo: number; hi: number } {
  if (!(hi - lo < 2 * Math.PI)) return { lo: -1, hi: 1 };
  const has = (phase: number) => Math.ceil((lo - phase) / (2 * Math.PI)) * 2 * Math.PI + phase <= hi;
  const ends = [Math.sin(lo), Math.sin(hi)];
  return { lo: has(-Math.PI / 2) ? -1 : Math.min(...ends), hi: has(Math.PI / 2) ? 1 : Math.max(...ends) };
}

const SQRT_PI = Math.sqrt(Math.PI);

/** erf to ~1e-14: Taylor series near 0, the continued fraction of erfc beyond. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 100; n++) {
      term *= (-ax * ax) / n;
      const t = term / (2 * n + 1);
      sum += t;
      if (Math.abs(t) < 1e-17) break;
    }
    return Math.sign(x) * ((2 / SQRT_PI) * sum);
  }
  if (ax > 6) return Math.sign(x);
  let t = ax;
  for (let k = 60; k >= 1; k--) t = ax + k / 2 / t;
  return Math.sign(x) * (1 - Math.exp(-ax * ax) / (SQRT_PI * t));
}

export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

const constant = (c: number) => () => c;

/**
 * For f with f' even and nonincreasing in |x| (Sigmoid, Tanh, Erf, Atan, Softsign): the largest
 * change of f over any interval of length e is over the one centred at 0, so
 *     |f(x) − f(x̂)| <= f(e/2) − f(−e/2)   for |x − x̂| <= e,
 * which is below L·e and below the range of f: a large input error no longer grows past it.
 */
export const centredModulus =
  (f: (x: number) => number) =>
  (e: number): number =>
    f(e / 2) - f(-e / 2);

export function smoothFunction(node: IrNode): ScalarFunction {
  switch (node.opType) {
    case 'Sigmoid':
      return {
        name: 'Sigmoid',
        f: sigmoid,
        lipschitz: constant(0.25),
        propagate: centredModulus(sigmoid),
        monotone: 'increasing',
        left: { slope: 0, intercept: 0 },
        right: { slope: 0, intercept: 1 },
      };
    case 'Tanh':
      return { name: 'Tanh', f: Math.tanh, lipschitz: constant(1), propagate: centredModulus(Math.tanh), monotone: 'increasing', left: { slope: 0, intercept: -1 }, right: { slope: 0, intercept: 1 } };
    case 'Softplus':
      return { name: 'Softplus', f: softplus, lipschitz: constant(1), monotone: 'increasing', left: { slope: 0, intercept: 0 }, right: { slope: 1, intercept: 0 } };
    case 'Elu': {
      const a = floatAttr(node, 'alpha', 1);
      return {
        name: 'Elu',
        f: (x) => (x >= 0 ? x : a * Math.expm1(x)),
        lipschitz: constant(Math.max(1, Math.abs(a))),
        ...(a >= 0 ? { monotone: 'increasing' as const } : {}),
        left: { slope: 0, intercept: -a },
        right: { slope: 1, intercept: 0 },
      };
    }
    case 'Selu': {
      const a = floatAttr(node, 'alpha', 1.67326319217681884765625);
      const g = floatAttr(node, 'gamma', 1.05070102214813232421875);
      return {
        name: 'Selu',
        f: (x) => (x > 0 ? g * x : g * a * Math.expm1(x)),
        lipschitz: constant(Math.abs(g) * Math.max(1, Math.abs(a))),
        ...(a >= 0 && g >= 0 ? { monotone: 'increasing' as const } : {}),
        left: { slope: 0, intercept: -g * a },
        right: { slope: g, intercept: 0 },
      };
    }
    case 'Celu': {
      const a = floatAttr(node, 'alpha', 1);
      return {
        name: 'Celu',
        f: (x) => Math.max(0, x) + Math.min(0, a * Math.expm1(x / a)),
        lipschitz: constant(1),
        ...(a > 0 ? { monotone: 'increasing' as const } : {}),
        left: { slope: 0, intercept: -a },
        right: { slope: 1, intercept: 0 },
      };
    }
    case 'Gelu': {
      const approx = stringAttr(node, 'approximate', 'none');
      const k = Math.sqrt(2 / Math.PI);
      const f = approx === 'tanh' ? (x: number) => 0.5 * x * (1 + Math.tanh(k * (x + 0.044715 * x * x * x))) : (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2));
      // max |f'| = Φ(√2) + √2·φ(√2) = 1.12890 at x = √2 (1.12899 for the tanh form); 1.13 bounds both.
      return { name: approx === 'tanh' ? 'Gelu(tanh)' : 'Gelu', f, lipschitz: constant(1.13), left: { slope: 0, intercept: 0 }, right: { slope: 1, intercept: 0 } };
    }
    default:
      throw unsupportedAttr(node, 'opType', node.opType);
  }
}

const ATTRIBUTES: Record<string, string[]> = {
  Sigmoid: [],
  Tanh: [],
  Softplus: [],
  Elu: ['alpha'],
  Selu: ['alpha', 'gamma'],
  Celu: ['alpha'],
  Gelu: ['approximate'],
};

export const smoothFamily: OpFamily = {
  ops: Object.keys(ATTRIBUTES),
  inferShapes(node, shapes) {
    requireInputs(node, shapes, 1);
    allowAttributes(node, ATTRIBUTES[node.opType]);
    if (node.opType === 'Gelu') {
      const approx = stringAttr(node, 'approximate', 'none');
      if (approx !== 'none' && approx !== 'tanh') throw unsupportedAttr(node, 'approximate', approx);
    }
    if (node.opType === 'Celu' && floatAttr(node, 'alpha', 1) === 0) {
      throw new ZkmlError('ONNX_UNSUPPORTED_ATTRIBUTE', `node '${node.name}' (Celu): alpha = 0`, { node: node.name });
    }
    smoothFunction(node);
    return [shapes[0]];
  },
  evalFloat(node, [x]) {
    const fn = smoothFunction(node);
    return [{ shape: x.shape, data: x.data.map((v) => fn.f(v)) }];
  },
};
