/**
 * circuits/requantize.circom as constraint generators: the rescale by 2^k with its range pinned by
 * one decomposition (Requantize: k + n constraints; RequantizeRelu: k + m + 2, the last one the
 * product sign · low that is the output's wire).
 */
import { bits, bitWires, weighted } from './bits';
import { addScaled, constant, ConstraintSystem, Lc, wireLc } from './system';

const half = (k: number): bigint => (k > 0 ? 1n << BigInt(k - 1) : 0n);

/**
 * Requantize(k, n, lo): out = floor((in + h) / 2^k), lo <= out < lo + 2^n. --O2 keeps the output in
 * a wire (the Model's tensor signal) and spends the two linear constraints on two bits instead:
 * out === lo + high on the top bit, the decomposition's sum on the top remainder bit.
 */
export function requantize(cs: ConstraintSystem, path: string, k: number, n: number, lo: bigint, input: Lc, outName: string): Lc {
  const t = addScaled(new Map(input), constant(half(k) - lo * (1n << BigInt(k))));
  const b = bitWires(cs, `${path}.b`, k + n, t);
  const high = addScaled(weighted(b, k), constant(lo));
  const out = cs.wire(outName, cs.value(high));
  // The short rule spends them on the lowest output bit and the lowest remainder bit (coefficients ±1).
  cs.linear(addScaled(wireLc(out), high, -1n), [b[k + n - 1]], [b[k]]);
  cs.linear(addScaled(weighted(b), t, -1n), k > 0 ? [b[k - 1]] : [], k > 0 ? [b[0]] : undefined);
  return wireLc(out);
}

/** RequantizeRelu(k, m): out = max(0, floor((in + h) / 2^k)) for -2^m <= q < 2^m; out is a wire. */
export function requantizeRelu(cs: ConstraintSystem, path: string, k: number, m: number, input: Lc, outName: string): Lc {
  const t = addScaled(new Map(input), constant(half(k) + (1n << BigInt(m + k))));
  const b = bits(cs, `${path}.b`, k + m + 1, t);
  const low = new Map<number, bigint>();
  for (let i = 0; i < m; i++) addScaled(low, b[k + i], 1n << BigInt(i));
  const sign = b[k + m];
  const out = wireLc(cs.wire(outName, cs.value(sign) * cs.value(low)));
  // circom writes signal * expression with the expression in A (so b * (b - 1) and sign * low too).
  cs.quadratic(low, sign, out);
  return out;
}
