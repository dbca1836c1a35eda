/**
 * Integer fixed-point primitives shared by the integer reference executor and the circuit tests.
 * These are the exact semantics of the templates in circuits/ (see circuits/requantize.circom).
 */

/** floor(a / b) for bigint with b > 0 (BigInt division truncates toward zero). */
export function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n ? q - 1n : q;
}

/** q = floor((x + h) / 2^k) with h = 2^(k-1) for k > 0: division by 2^k rounding half up. */
export function roundShift(x: bigint, k: number): bigint {
  if (k === 0) return x;
  const d = 1n << BigInt(k);
  return floorDiv(x + (d >> 1n), d);
}

/** round(n / d), halves upward, for d ≠ 0: the quotient of circuits/divide.circom. */
export function divideRound(n: bigint, d: bigint): bigint {
  const s = d < 0n ? -1n : 1n;
  return floorDiv(2n * s * n + s * d, 2n * s * d);
}

/** The remainder of n by d ≠ 0: C's fmod (n's sign) or the floor modulus (d's sign): circuits/modulo.circom. */
export function moduloOf(n: bigint, d: bigint, fmod: boolean): bigint {
  if (fmod) return n % d; // BigInt % truncates: the dividend's sign
  const r = n % d;
  return r !== 0n && r < 0n !== d < 0n ? r + d : r;
}

export function relu(x: bigint): bigint {
  return x > 0n ? x : 0n;
}

/** Bits needed to hold every integer in [0, span]: the smallest n with span < 2^n (n >= 1). */
export function bitsForSpan(span: bigint): number {
  if (span < 0n) throw new RangeError('negative span');
  let n = 1;
  while (span >= 1n << BigInt(n)) n++;
  return n;
}

/** The smallest m with -2^m <= lo and hi < 2^m: the magnitude bits of a signed interval. */
export function signedMagnitudeBits(lo: bigint, hi: bigint): number {
  let m = 0;
  while (-(1n << BigInt(m)) > lo || hi >= 1n << BigInt(m)) m++;
  return m;
}
