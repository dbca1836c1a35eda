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
    let long = 0;
    for (let i = start; i < end && long < 2; i++) if (shortKind(terms, i) === LONG) long++;
    if (long < 2) {
      // Nothing to gain from a factor: short coefficients are copied, long ones kept as they are.
      for (let i = start; i < end; i++) if (!setShortFast(out, terms, i)) setScalar(out, i, termCoef(terms, i));
    } else {
      values.length = 0;
      for (let i = start; i < end; i++) values.push(termCoef(terms, i));
      const factored = rowFactor(values);
      if (factored) {
        out.factors[terms.matrix[start]].set(terms.row[start], modInverse(factored.k));
        for (let i = start; i < end; i++) if (!isShort(values[i - start])) out.shortened++;
      }
      const scaled = factored ? factored.products : values;
      for (let i = start; i < end; i++) setScalar(out, i, scaled[i - start]);
    }
    start = end;
  }
  for (let i = terms.count; i < total; i++) setScalar(out, i, 1n);
  return out;
}

const SHORT_POSITIVE = 0;
const SHORT_NEGATIVE = 1;
const LONG = 2;
/** r's 32-bit words, little-endian. */
const R_WORDS = Array.from({ length: 8 }, (_, i) => Number((R >> BigInt(32 * i)) & 0xffffffffn));

/** Without bigints: v < 2^64, or r − v < 2^64 with the top 192 bits of v equal to r's (almost every such v), or neither. */
function shortKind(terms: R1csTerms, i: number): number {
  const d = terms.data;
  const at = terms.coefAt[i];
  let zero = true;
  let top = true;
  for (let w = 2; w < 8; w++) {
    const word = d.readUInt32LE(at + 4 * w);
    if (word !== 0) zero = false;
    if (word !== R_WORDS[w]) top = false;
  }
  if (zero) return SHORT_POSITIVE;
  return top ? SHORT_NEGATIVE : LONG;
}

/** Sets a short scalar without bigints; false when the coefficient is not one shortKind recognises. */
function setShortFast(out: TermScalars, terms: R1csTerms, i: number): boolean {
  const kind = shortKind(terms, i);
  if (kind === LONG) return false;
  const d = terms.data;
  const at = terms.coefAt[i];
  let lo = d.readUInt32LE(at);
  let hi = d.readUInt32LE(at + 4);
  if (kind === SHORT_NEGATIVE) {
    // r − v on the low 64 bits (the top words are equal, and v < r).
    const l = R_WORDS[0] - lo;
    const borrow = l < 0 ? 1 : 0;
    lo = l + borrow * 0x100000000;
    hi = R_WORDS[1] - hi - borrow;
    if (hi < 0) return false;
    out.negative[i] = 1;
  }
  const m = i * 32;
  out.magnitude.writeUInt32LE(lo, m);
  out.magnitude.writeUInt32LE(hi, m + 4);
  out.bytes[i] = hi !== 0 ? 4 + byteLength(hi) : Math.max(1, byteLength(lo));
  return true;
}

function byteLength(word: number): number {
  return word >= 0x1000000 ? 4 : word >= 0x10000 ? 3 : word >= 0x100 ? 2 : word > 0 ? 1 : 0;
}

function isShort(v: bigint): boolean {
  return v < SHORT || R - v < SHORT;
}

/** A k that makes every value · k short, with those products; undefined when none is found. */
function rowFactor(values: bigint[]): { k: bigint; products: bigint[] } | undefined {
  let k = 1n;
  for (let attempt = 0; attempt <= MAX_REFINEMENTS; attempt++) {
    const products = values.map((v) => (v * k) % R);
    const bad = products.find((v) => !isShort(v));
    if (bad === undefined) return k === 1n ? undefined : { k, products };
    const t = smallDenominator(bad);
    if (t === undefined || k * t >= MAX_K) return undefined;
    k *= t;
  }
  return undefined;
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
  if (m < SHORT) {
    out.magnitude.writeBigUInt64LE(m, at);
  } else {
    for (let limb = 0; limb < 4; limb++) out.magnitude.writeBigUInt64LE((m >> BigInt(64 * limb)) & 0xffffffffffffffffn, at + 8 * limb);
  }
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
