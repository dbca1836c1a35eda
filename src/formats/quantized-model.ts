/**
 * The quantized model: what the circuit computes, as data. Every op lowers to the accumulate layer:
 * per output element
 *     acc = bias + sum(coef * x[idx]) + sum(a[i] * b[j]),   q = roundShift(acc, shift),   y = relu ? max(0, q) : q
 * over integer tensors, except ArgMax, a selection layer (Layer.argmax): per output element
 *     y = the position in `terms` of a largest x[idx] (the first one, or the last with selectLast),
 * comparisons, a test layer (Layer.compare): per output element
 *     y = acc >= 0 ? 1 : 0 (nonNegative)   or   y = acc == 0 ? 1 : 0 (zero),
 * and division by a computed value, a quotient layer (Layer.divide): y = round(acc / d), d ≠ 0.
 * The integer reference executor, the bound analysis and the circuit emitter all read this one
 * description, so they cannot drift apart.
 */
import type { CompileSettings } from './settings';

/**
 * A linear term: coef * tensor[index]. With private weights, `param` is the index of the weight
 * signal whose value coef is: the circuit multiplies that signal (one constraint) instead of using
 * coef as a constant.
 */
export type Term = [tensor: number, index: number, coef: bigint, param?: number];
/** A committed weight added to the accumulator: coef * w[param] (linear in the weight signals). */
export type ParamTerm = [param: number, coef: bigint];
/** A product of two variable elements: tensorA[indexA] * tensorB[indexB]. */
export type Product = [tensorA: number, indexA: number, tensorB: number, indexB: number];

export interface Row {
  bias: bigint;
  terms: Term[];
  products: Product[];
  /** With private weights: the weight-dependent part of the bias (a bias tensor, zero-point corrections). */
  paramTerms?: ParamTerm[];
}

/** How the circuit realizes one output element; chosen from its static bounds. */
export type Gadget =
  | { kind: 'linear' }
  | { kind: 'zero' }
  | { kind: 'requantize'; k: number; n: number; lo: bigint }
  | { kind: 'requantizeRelu'; k: number; m: number }
  /** ArgMax over n candidates whose pairwise differences fit b bits (circuits/argmax.circom). */
  | { kind: 'argmax'; n: number; b: number; last: boolean }
  /** A test layer's row whose outcome the bounds decide: the constant 1 (a decided 0 is 'zero'). */
  | { kind: 'one' }
  /** acc ≥ 0 as a bit, for −2^b ≤ acc < 2^b: the top bit of acc + 2^b (circuits/compare.circom). */
  | { kind: 'nonNegative'; b: number }
  /** acc = 0 as a bit, by the inverse trick (circuits/compare.circom). */
  | { kind: 'isZero' }
  /**
   * Piecewise-linear by segment selection over n segments, each narrower than 2^b (circuits/segment.circom);
   * sameSlope: every segment has the same slope, so circom finds the output linear (one product fewer).
   */
  | { kind: 'segment'; n: number; b: number; sameSlope?: true }
  /**
   * A quotient row (Layer.divide): out = round(acc / d) for a divisor d ≠ 0 whose sign is `sign`
   * (0: either, tested by a (b + 1)-bit sign decomposition), remainder checks of bd bits and a
   * quotient range check of bq bits from qlo (circuits/divide.circom). With a constant numerator and
   * sign 0, sign·num is linear (one constraint less).
   */
  | { kind: 'divide'; sign: -1 | 0 | 1; b: number; bd: number; bq: number; qlo: bigint; constantNumerator: boolean }
  /**
   * A remainder row (Layer.modulo): out = acc mod d (fmod: C's truncated remainder; else the floor
   * modulus), d ≠ 0, with the operands' known signs (0: either, tested by bn / bdn-bit sign
   * decompositions), remainder checks of bd bits and a quotient check of bq bits from qlo
   * (circuits/modulo.circom).
   */
  | { kind: 'modulo'; fmod: boolean; signNum: -1 | 0 | 1; bn: number; signDen: -1 | 0 | 1; bdn: number; bd: number; bq: number; qlo: bigint; constantDivisor: boolean };

/** The test of a comparison layer's rows: acc ≥ 0, or acc = 0. */
export type CompareTest = 'nonNegative' | 'zero';

/**
 * A piecewise-linear function by segments: for lo[j] <= x <= hi[j], f(x) = alpha[j] + beta[j]·x.
 * The segments are consecutive (lo[j + 1] = hi[j] + 1) and cover the input's whole static range.
 */
export interface SegmentTable {
  lo: bigint[];
  hi: bigint[];
  alpha: bigint[];
  beta: bigint[];
  /**
   * The table is a range check narrower than the input's static range (a run-time index): an input
   * outside it has no witness, and the output's bounds are those of the table's part.
   */
  restrict?: boolean;
}

export interface Layer {
  /** The ONNX node (or nodes, when a Relu is fused) this layer implements. */
  node: string;
  opType: string;
  out: number;
  rows: Row[];
  shift: number;
  relu: boolean;
  /**
   * Set for a selection layer: each row's terms (coefficient 1, bias 0, no products, shift 0) are the
   * candidates in order, and the row's value is the index of a largest one.
   */
  argmax?: { selectLast: boolean };
  /**
   * Set for a test layer: each row's accumulator (shift 0, no relu) is tested, and the row's value
   * is 1 when the test holds, else 0.
   */
  compare?: CompareTest;
  /**
   * Set for a segment layer: each row's one term (coefficient 1, bias 0, no products, shift 0, no
   * relu) is the input x, and the row's value is the table's line at x (Gadget 'segment').
   */
  segments?: SegmentTable;
  /**
   * Set for a quotient layer: row o's value is round(acc / d) (half up) with d = coef · x[index] the
   * divisor term `divisors[o]` (shift 0, no relu). A divisor of 0 has no witness: the circuit proves
   * d ≠ 0.
   */
  divide?: { divisors: Term[] };
  /**
   * Set for a remainder layer: row o's value is acc mod d with d = divisors[o] (shift 0, no relu),
   * C's fmod (the dividend's sign) when `fmod`, else the floor modulus (the divisor's sign); d ≠ 0.
   * `constantDivisor`: the divisors are rows of constants (q·|d| is then linear, one constraint less).
   */
  modulo?: { divisors: Term[]; fmod: boolean; constantDivisor?: boolean };
  /** Filled by the bound analysis. */
  gadgets?: Gadget[];
}

export interface TensorSpec {
  id: number;
  name: string;
  size: number;
  scaleBits: number;
}

export interface InputSpec {
  name: string;
  tensor: number;
  shape: number[];
  elemType: string;
  scaleBits: number;
  /** Integer range every element must lie in; range-checked in the circuit. */
  lo: bigint;
  hi: bigint;
  visibility: 'public' | 'private' | 'hashed';
}

export interface OutputSpec {
  name: string;
  tensor: number;
  shape: number[];
  elemType: string;
  scaleBits: number;
  /** Static worst-case bound on |decoded output - exact float model| for in-range inputs. */
  errorBound: number;
}

export interface Interval {
  lo: bigint;
  hi: bigint;
}

/**
 * With private weights: one constant tensor of a node (a weight matrix, a bias vector, ...) as the
 * circuit's integers. Its elements are the private weight signals w[offset .. offset + size), each
 * range-checked to [lo, lo + 2^width) and packed into the weights commitment.
 */
export interface ParamGroup {
  name: string;
  offset: number;
  lo: bigint;
  width: number;
  values: bigint[];
}

export interface QuantizedModel {
  settings: CompileSettings;
  tensors: TensorSpec[];
  inputs: InputSpec[];
  layers: Layer[];
  outputs: OutputSpec[];
  /** Present with private weights (settings.weightVisibility 'private'): the committed weight groups, in order. */
  params?: ParamGroup[];
}
