/**
 * Math ops as univariate functions: Exp, Log, Sqrt, Reciprocal, Pow (constant exponent), Erf, Sin,
 * Cos, Tan, Asin, Acos, Atan, Mish, Softsign. Float semantics and, per function, what the
 * piecewise-linear approximation needs (src/quantize/lower/math.ts, docs/activations.md): an upper
 * bound on |f'| over an interval, the asymptotes, and where the function is undefined or unbounded
 * (the lowering refuses an input range that reaches there, naming it).
 */
import { ZkmlError } from '../../errors';
import type { FloatTensor, IrNode } from '../../formats/graph';
import { broadcastIndexMap, broadcastShapes } from '../tensor';
import { OpFamily, requireInputs } from './op-family';
import { centredModulus, erf, ScalarFunction, sineImage } from './smooth';
import { allowAttributes } from './windows';

export interface MathFunction extends ScalarFunction {
  /** Why f has no bounded approximation when its input may be anywhere in [lo, hi]; undefined if it has one. */
  refuse(lo: number, hi: number): string | undefined;
  /**
   * A closed domain on which f is bounded (Asin, Acos: [−1, 1]): a quantized input that strays past
   * it while the float input provably stays inside is evaluated clamped to it (lower/math.ts).
   */
  domain?: { lo: number; hi: number };
}

const HALF_PI = Math.PI / 2;
const fmt = (v: number) => v.toPrecision(4);

const softplus = (x: number) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));
const mish = (x: number) => x * Math.tanh(softplus(x));
const softsign = (x: number) => x / (1 + Math.abs(x));
const always = () => undefined;
const constant = (c: number) => () => c;

/** A pole (k + ½)π of tan inside [lo, hi]. */
function tanPole(lo: number, hi: number): number | undefined {
  const k = Math.ceil(lo / Math.PI - 0.5);
  const pole = (k + 0.5) * Math.PI;
  return pole <= hi ? pole : undefined;
}

/** |asin a − asin b| <= π·√(|a − b| / 2) on [−1, 1]: acos(1 − e) = 2·asin(√(e/2)) <= π·√(e/2). */
const arcsinePropagate = (e: number, lo: number, hi: number) => {
  const m = Math.max(Math.abs(lo), Math.abs(hi));
  const lip = m + e < 1 ? 1 / Math.sqrt(1 - (m + e) ** 2) : Infinity;
  return Math.min(lip * e, Math.PI * Math.sqrt(e / 2), Math.PI);
};

/** x^p for a constant p that is not a small nonnegative integer (those are exact products). */
function powFunction(p: number): MathFunction {
  const integer = Number.isInteger(p);
  const name = `Pow(x, ${p})`;
  // |f'| = |p|·|x|^(p−1): largest at the end nearest 0 for p < 1, the farthest for p > 1.
  const lipschitz = (lo: number, hi: number) => {
    const near = lo <= 0 && hi >= 0 ? 0 : Math.min(Math.abs(lo), Math.abs(hi));
    const far = Math.max(Math.abs(lo), Math.abs(hi));
    if (p >= 1) return Math.abs(p) * far ** (p - 1);
    return near > 0 ? Math.abs(p) * near ** (p - 1) : Infinity;
  };
  return {
    name,
    f: (x) => x ** p,
    lipschitz,
    // 0 < p < 1: x^p is p-Hölder with constant 1 on x >= 0 (|a^p − b^p| <= |a − b|^p).
    ...(p > 0 && p < 1 ? { propagate: (e: number, lo: number, hi: number) => Math.min(lipschitz(Math.max(0, lo - e), hi + e) * e, e ** p) } : {}),
    refuse: (lo, hi) => {
      if (!integer && lo < 0) return `${name} is undefined for x < 0 and the input range reaches ${fmt(lo)}`;
      if (p < 0 && lo <= 0 && hi >= 0) return `${name} is unbounded at x = 0, inside the input range [${fmt(lo)}, ${fmt(hi)}]`;
      return undefined;
    },
  };
}

/** The function of a math node; for Pow, `exponent` is the constant exponent. */
export function mathFunction(node: IrNode, exponent?: number): MathFunction {
  switch (node.opType) {
    case 'Exp':
      return { name: 'Exp', f: Math.exp, lipschitz: (_lo, hi) => Math.exp(hi), monotone: 'increasing', left: { slope: 0, intercept: 0 }, refuse: always };
    case 'Log':
      return {
        name: 'Log',
        f: Math.log,
        monotone: 'increasing',
        lipschitz: (lo) => (lo > 0 ? 1 / lo : Infinity),
        refuse: (lo) => (lo <= 0 ? `Log is unbounded as x → 0 and undefined below; the input range reaches ${fmt(lo)}` : undefined),
      };
    case 'Sqrt':
      return {
        name: 'Sqrt',
        f: Math.sqrt,
        monotone: 'increasing',
        lipschitz: (lo) => (lo > 0 ? 1 / (2 * Math.sqrt(lo)) : Infinity),
        // √ is subadditive: |√a − √b| <= √|a − b|, finite even at 0 where |f'| is not.
        propagate: (e, lo) => Math.min(lo - e > 0 ? e / (2 * Math.sqrt(lo - e)) : Infinity, Math.sqrt(e)),
        refuse: (lo) => (lo < 0 ? `Sqrt is undefined for x < 0 and the input range reaches ${fmt(lo)}` : undefined),
      };
    case 'Reciprocal':
      return {
        name: 'Reciprocal',
        f: (x) => 1 / x,
        lipschitz: (lo, hi) => (lo > 0 || hi < 0 ? 1 / Math.min(Math.abs(lo), Math.abs(hi)) ** 2 : Infinity),
        refuse: (lo, hi) => (lo <= 0 && hi >= 0 ? `Reciprocal is unbounded at x = 0, inside the input range [${fmt(lo)}, ${fmt(hi)}]` : undefined),
      };
    case 'Pow':
      return powFunction(exponent!);
    case 'Erf':
      return {
        name: 'Erf',
        f: erf,
        lipschitz: constant(2 / Math.sqrt(Math.PI)),
        propagate: centredModulus(erf),
        monotone: 'increasing',
        left: { slope: 0, intercept: -1 },
        right: { slope: 0, intercept: 1 },
        refuse: always,
      };
    case 'Sin':
      return { name: 'Sin', f: Math.sin, lipschitz: constant(1), image: sineImage, refuse: always };
    case 'Cos':
      return { name: 'Cos', f: Math.cos, lipschitz: constant(1), image: (lo, hi) => sineImage(lo + HALF_PI, hi + HALF_PI), refuse: always };
    case 'Tan':
      return {
        name: 'Tan',
        f: Math.tan,
        // sec² is convex between two poles: its max over a pole-free interval is at an end.
        lipschitz: (lo, hi) => (tanPole(lo, hi) === undefined ? Math.max(1 / Math.cos(lo) ** 2, 1 / Math.cos(hi) ** 2) : Infinity),
        // Increasing between two poles: the image of a pole-free interval is spanned by its ends.
        image: (lo, hi) => (tanPole(lo, hi) === undefined ? { lo: Math.tan(lo), hi: Math.tan(hi) } : { lo: -Infinity, hi: Infinity }),
        refuse: (lo, hi) => {
          const pole = tanPole(lo, hi);
          return pole === undefined ? undefined : `Tan is unbounded at x = ${fmt(pole)} (a pole, (k + ½)π), inside the input range [${fmt(lo)}, ${fmt(hi)}]`;
        },
      };
    case 'Asin':
    case 'Acos': {
      const f = node.opType === 'Asin' ? Math.asin : Math.acos;
      return {
        name: node.opType,
        f,
        monotone: node.opType === 'Asin' ? 'increasing' : 'decreasing',
        domain: { lo: -1, hi: 1 },
        lipschitz: (lo, hi) => {
          const m = Math.max(Math.abs(lo), Math.abs(hi));
          return m < 1 ? 1 / Math.sqrt(1 - m * m) : Infinity;
        },
        propagate: arcsinePropagate,
        refuse: (lo, hi) => (lo < -1 || hi > 1 ? `${node.opType} is undefined outside [−1, 1] and the input range is [${fmt(lo)}, ${fmt(hi)}]` : undefined),
      };
    }
    case 'Atan':
      return {
        name: 'Atan',
        f: Math.atan,
        monotone: 'increasing',
        lipschitz: constant(1),
        propagate: centredModulus(Math.atan),
        left: { slope: 0, intercept: -HALF_PI },
        right: { slope: 0, intercept: HALF_PI },
        refuse: always,
      };
    case 'Mish':
      // max |f'| = 1.0885 at x ≈ 1.49 (checked against finite differences in the tests).
      return { name: 'Mish', f: mish, lipschitz: constant(1.09), left: { slope: 0, intercept: 0 }, right: { slope: 1, intercept: 0 }, refuse: always };
    case 'Softsign':
      return {
        name: 'Softsign',
        f: softsign,
        lipschitz: constant(1),
        propagate: centredModulus(softsign),
        monotone: 'increasing',
        left: { slope: 0, intercept: -1 },
        right: { slope: 0, intercept: 1 },
        refuse: always,
      };
    default:
      throw new ZkmlError('ONNX_UNSUPPORTED_OP', `node '${node.name}' (${node.opType}) is not a math op`, { node: node.name, opType: node.opType });
  }
}

/** The one value of Pow's constant exponent; refused when it is computed or not one value. */
export function powExponent(node: IrNode, exponent: FloatTensor | undefined): number {
  if (!exponent) {
    throw new ZkmlError('ONNX_UNSUPPORTED_OP', `node '${node.name}' (Pow): the exponent is computed at run time; only a constant exponent is supported`, { node: node.name, opType: 'Pow' });
  }
  const p = exponent.data[0];
  if (exponent.data.length === 0 || exponent.data.some((v) => v !== p) || !Number.isFinite(p)) {
    throw new ZkmlError('ONNX_UNSUPPORTED_OP', `node '${node.name}' (Pow): the exponent must be one finite constant value`, { node: node.name, opType: 'Pow' });
  }
  return p;
}

const UNARY = ['Exp', 'Log', 'Sqrt', 'Reciprocal', 'Erf', 'Sin', 'Cos', 'Tan', 'Asin', 'Acos', 'Atan', 'Mish', 'Softsign'];

export const mathFamily: OpFamily = {
  ops: [...UNARY, 'Pow'],
  inferShapes(node, shapes, consts) {
    allowAttributes(node, []);
    if (node.opType !== 'Pow') {
      requireInputs(node, shapes, 1);
      return [shapes[0]];
    }
    requireInputs(node, shapes, 2);
    // Both constant: folded at ingest. Otherwise the exponent must be one constant (c^x is another function).
    if (!(consts[0] && consts[1])) powExponent(node, consts[1]);
    const shape = broadcastShapes(shapes[0], shapes[1], node.name);
    if (!consts[0] && shape.join(',') !== shapes[0].join(',')) {
      throw new ZkmlError('ONNX_UNSUPPORTED_OP', `node '${node.name}' (Pow): the exponent's shape [${shapes[1]}] broadcasts the base`, { node: node.name, opType: 'Pow' });
    }
    return [shape];
  },
  evalFloat(node, inputs) {
    if (node.opType === 'Pow') {
      const [x, y] = inputs;
      const shape = broadcastShapes(x.shape, y.shape, node.name);
      const mx = broadcastIndexMap(x.shape, shape);
      const my = broadcastIndexMap(y.shape, shape);
      return [{ shape, data: Float64Array.from(mx, (i, k) => x.data[i] ** y.data[my[k]]) }];
    }
    const fn = mathFunction(node);
    return [{ shape: inputs[0].shape, data: inputs[0].data.map((v) => fn.f(v)) }];
  },
};
