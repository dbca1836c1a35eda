/**
 * The scalars of the phase-2 multi-exponentiations, made short where the algebra allows.
 *
 * Every key point is a sum over the terms of one wire, coefficient × Lagrange point. A multi-exponentiation
 * costs in proportion to the scalars' bit length, and circom's coefficients are mostly full 254-bit field
 * elements: a long linear sum substituted into a row is `w_i / d` for small integer weights w_i and one
 * divisor d per row. So for each row with several long coefficients we look for a k (the product of the
 * small denominators, found by rational reconstruction) that makes every `coef · k` short, and
 * multiply the row's Lagrange points by f = 1/k once instead: Σ coef·L = Σ (coef·k)·(f·L). The sums are
 * the same points whatever k is; a row that does not factor keeps k = 1.
 *
 * Each scalar is stored as a magnitude and a sign (the negative half of the field as −(r − v)), so a sum
 * is the short positive part minus the short negative part.
 */
import { BN254_R } from '../formats/field';
import { R1csTerms } from './r1cs-constraints';

const R = BN254_R;
const HALF = R >> 1n;
/** A scalar is short when it fits in 8 bytes. */
const SHORT = 1n << 64n;
/** Rational reconstruction stops at remainders below 2^127 (about √r). */
const RECON_BOUND = 1n << 127n;
/** A denominator (and their product k) must stay below this to keep the scaled coefficients short. */
const MAX_K = 1n << 48n;
/** Refinements of k per row before giving up on it. */
const MAX_REFINEMENTS = 4;

export interface TermScalars {
  /** 32 little-endian bytes per term: |coef · k| of its row. */
  magnitude: Buffer;
  negative: Uint8Array;
  /** Bytes of the magnitude that are not zero at the top (at least 1). */
  bytes: Uint8Array;
  /** For each matrix, the factored rows and their f = 1/k. */
  factors: Array<Map<number, bigint>>;
  /** Terms whose coefficient became short through a row factor. */
  shortened: number;
}

/** The coefficient of term i as a bigint. */
export function termCoef(terms: R1csTerms, i: number): bigint {
  const at = terms.coefAt[i];
  const d = terms.data;
  return d.readBigUInt64LE(at) | (d.readBigUInt64LE(at + 8) << 64n) | (d.readBigUInt64LE(at + 16) << 128n) | (d.readBigUInt64LE(at + 24) << 192n);
}

/**
 * Scalars for the r1cs terms followed by `extraOnes` terms of coefficient 1 (the rows snarkjs adds for the
 * public wires).
 */
export function termScalars(terms: R1csTerms, extraOnes: number): TermScalars {
  const total = terms.count + extraOnes;
  const out: TermScalars = {
    magnitude: Buffer.alloc(total * 32),
    negative: new Uint8Array(total),
    bytes: new Uint8Array(total),
    factors: [new Map(), new Map(), new Map()],
    shortened: 0,
  };
  const values: bigint[] = [];
  let start = 0;
  while (start < terms.count) {
    // One row: consecutive terms of the same matrix and constraint.
    let end = start + 1;
    while (end < terms.count && terms.row[end] === terms.row[start] && terms.matrix[end] === terms.matrix[start]) end++;
    values.length = 0;
    let long = 0;
    for (let i = start; i < end; i++) {
      const v = termCoef(terms, i);
      values.push(v);
      if (!isShort(v)) long++;
    }
    const k = long >= 2 ? rowFactor(values) : 1n;
    if (k !== 1n) {
      out.factors[terms.matrix[start]].set(terms.row[start], modInverse(k));
      out.shortened += long;
    }
    for (let i = start; i < end; i++) setScalar(out, i, k === 1n ? values[i - start] : (values[i - start] * k) % R);
    start = end;
  }
  for (let i = terms.count; i < total; i++) setScalar(out, i, 1n);
  return out;
}

function isShort(v: bigint): boolean {
  return v < SHORT || R - v < SHORT;
}

/** A k that makes every value · k short, or 1 when none is found. */
function rowFactor(values: bigint[]): bigint {
  let k = 1n;
  for (let attempt = 0; attempt <= MAX_REFINEMENTS; attempt++) {
    const bad = values.find((v) => !isShort((v * k) % R));
    if (bad === undefined) return k;
    const t = smallDenominator((bad * k) % R);
    if (t === undefined || k * t >= MAX_K) return 1n;
    k *= t;
  }
  return 1n;
}

/** t > 0 with a·t ≡ u (mod r) for a short u, by the half extended Euclid (rational reconstruction). */
function smallDenominator(a: bigint): bigint | undefined {
  let [r0, r1] = [R, a];
  let [t0, t1] = [0n, 1n];
  while (r1 >= RECON_BOUND) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [t0, t1] = [t1, t0 - q * t1];
  }
  const t = t1 < 0n ? -t1 : t1;
  if (t <= 1n || t >= MAX_K || r1 >= SHORT) return undefined;
  return t;
}

function setScalar(out: TermScalars, i: number, v: bigint): void {
  let m = v;
  if (v > HALF) {
    m = R - v;
    out.negative[i] = 1;
  }
  const at = i * 32;
  for (let limb = 0; limb < 4; limb++) out.magnitude.writeBigUInt64LE((m >> BigInt(64 * limb)) & 0xffffffffffffffffn, at + 8 * limb);
  let bytes = 32;
  while (bytes > 1 && out.magnitude[at + bytes - 1] === 0) bytes--;
  out.bytes[i] = bytes;
}

export function modInverse(a: bigint): bigint {
  let [r0, r1] = [R, ((a % R) + R) % R];
  let [t0, t1] = [0n, 1n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [t0, t1] = [t1, t0 - q * t1];
  }
  if (r0 !== 1n) throw new RangeError('not invertible');
  return ((t0 % R) + R) % R;
}
