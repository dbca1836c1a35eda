/**
 * circuits/bits.circom and circuits/range.circom as constraint generators.
 *
 * Bits(n): n boolean constraints (b - 1) · b = 0, and the linear sum(b_i 2^i) === in, which --O2
 * spends on the top bit: that bit becomes in - sum(lower bits), substituted into its own boolean
 * constraint. RangeCheck(n, lo) is Bits(n) of in - lo (n = 0: in === lo).
 */
import { ZkmlError } from '../../errors';
import { addScaled, constant, ConstraintSystem, Lc, wireLc } from './system';

/** The boolean bit wires of `in` (little-endian), without their sum constraint; named `<path>.bits[i]`. */
export function bitWires(cs: ConstraintSystem, path: string, n: number, input: Lc): number[] {
  const v = cs.value(input);
  // A witness-only build stops where circom's witness calculator would (its sum check fails): a
  // value with no n-bit decomposition means no witness exists (a zero divisor, a value outside its
  // segment table or its static range). Compile builds on a placeholder input and checks nothing.
  if (!cs.withConstraints && v >> BigInt(n) !== 0n) throw new ZkmlError('WITNESS_FAILED', `${path}: the value has no ${n}-bit decomposition, so no witness exists for this input`);
  const out: number[] = [];
  let rest = v;
  for (let i = 0; i < n; i++) {
    const w = cs.wire(`${path}.bits[${i}]`, rest & 1n);
    rest >>= 1n;
    const b = wireLc(w);
    cs.quadratic(addScaled(constant(-1n), b), b, new Map());
    out.push(w);
  }
  return out;
}

const powers: bigint[] = [1n];
/** 2^i, shared (a decomposition's weights are the same few BigInts). */
function pow2(i: number): bigint {
  while (powers.length <= i) powers.push(powers[powers.length - 1] * 2n);
  return powers[i];
}

/** sum(bits[i] · 2^i) over bits[from, to), as a linear combination. */
export function weighted(bits: readonly number[], from = 0, to = bits.length): Lc {
  const total = new Map<number, bigint>();
  for (let i = from; i < to; i++) total.set(bits[i], pow2(i - from));
  return total;
}

/**
 * Bits(n): the bits of `in` as linear combinations; the sum constraint eliminates the top bit (circom's
 * rule) or the lowest (the short rule, unless `short` is false).
 */
export function bits(cs: ConstraintSystem, path: string, n: number, input: Lc, short = true): Lc[] {
  const b = bitWires(cs, path, n, input);
  cs.linear(addScaled(weighted(b), input, -1n), [], short ? [b[0]] : undefined);
  return b.map(wireLc);
}

/** RangeCheck(n, lo): lo <= in < lo + 2^n. */
export function rangeCheck(cs: ConstraintSystem, path: string, n: number, lo: bigint, input: Lc, short = true): void {
  const shifted = addScaled(new Map(input), constant(-lo));
  if (n === 0) cs.linear(shifted);
  else bits(cs, `${path}.b`, n, shifted, short);
}
