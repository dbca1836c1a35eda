/**
 * circuits/divide.circom and circuits/modulo.circom as constraint generators: the divisor's sign (a
 * NonNegative when the bounds leave it open), |den| and the signed numerator (a product each, or
 * linear when a factor is constant), q and the remainder as witness wires pinned by one product
 * (linear for a constant divisor), the remainder's two bd-bit checks and q's bq-bit range.
 */
import { BN254_R } from '../../formats/field';
import { bits } from './bits';
import { nonNegative } from './compare';
import { addScaled, constant, ConstraintSystem, Lc, wireLc } from './system';

const signed = (v: bigint): bigint => (v > BN254_R / 2n ? v - BN254_R : v);
const constantOf = (x: Lc): bigint | undefined => (x.size === 0 ? 0n : x.size === 1 && x.has(0) ? x.get(0)! : undefined);

/** floor(n / d) for d > 0 (d = 0: 0, no witness then exists). */
const floorDiv = (n: bigint, d: bigint): bigint => (d === 0n ? 0n : n >= 0n ? n / d : -((-n + d - 1n) / d));

/** a · b: linear when a factor is a constant (no wire), else a product wire (a in A, as circom writes it). */
function times(cs: ConstraintSystem, name: string, a: Lc, b: Lc): Lc {
  const ka = constantOf(a);
  if (ka !== undefined) return addScaled(new Map(), b, ka);
  const kb = constantOf(b);
  if (kb !== undefined) return addScaled(new Map(), a, kb);
  const w = wireLc(cs.wire(name, cs.value(a) * cs.value(b)));
  cs.quadratic(a, b, w);
  return w;
}

/** 2 · bit - 1, or the known sign as a constant. */
function signOf(cs: ConstraintSystem, path: string, known: -1 | 0 | 1, b: number, x: Lc): Lc {
  if (known !== 0) return constant(BigInt(known));
  return addScaled(constant(-1n), nonNegative(cs, path, b, x), 2n);
}

/** The remainder r in [0, d) by two bd-bit checks, and q - qlo in bq bits (bq = 0: q === qlo). */
function checks(cs: ConstraintSystem, path: string, bd: number, bq: number, qlo: bigint, q: Lc, r: Lc, d: Lc): void {
  bits(cs, `${path}.low`, bd, r);
  bits(cs, `${path}.high`, bd, addScaled(addScaled(new Map(d), constant(-1n)), r, -1n));
  if (bq > 0) bits(cs, `${path}.range[0]`, bq, addScaled(new Map(q), constant(-qlo)));
  else cs.linear(addScaled(new Map(q), constant(-qlo)));
}

/** Divide(sign, b, bd, bq, qlo): round(num / den), halves up; q = floor((2·s·num + |den|) / (2·|den|)). */
export function divide(cs: ConstraintSystem, path: string, g: { sign: -1 | 0 | 1; b: number; bd: number; bq: number; qlo: bigint }, num: Lc, den: Lc): Lc {
  const s = signOf(cs, `${path}.positive[0]`, g.sign, g.b, den);
  const absDen = times(cs, `${path}.absDen`, s, den);
  const signedNum = times(cs, `${path}.signedNum`, s, num);
  const n2 = addScaled(addScaled(new Map(), signedNum, 2n), absDen);
  const d2 = addScaled(new Map(), absDen, 2n);
  const [vn, vd] = [signed(cs.value(n2)), signed(cs.value(d2))];
  const quotient = floorDiv(vn, vd);
  const q = wireLc(cs.wire(`${path}.q`, quotient));
  const r = wireLc(cs.wire(`${path}.r`, vn - quotient * vd));
  // n2 === q * d2 + r: the expression d2 in A.
  cs.quadratic(d2, q, addScaled(new Map(n2), r, -1n));
  checks(cs, path, g.bd, g.bq, g.qlo, q, r, d2);
  return q;
}

/** Modulo(fmod, signNum, bn, signDen, bdn, bd, bq, qlo): num mod den (fmod: the dividend's sign, else the divisor's). */
export function modulo(
  cs: ConstraintSystem,
  path: string,
  g: { fmod: boolean; signNum: -1 | 0 | 1; bn: number; signDen: -1 | 0 | 1; bdn: number; bd: number; bq: number; qlo: bigint },
  num: Lc,
  den: Lc,
  outName: string,
): Lc {
  const sd = signOf(cs, `${path}.denSign[0]`, g.signDen, g.bdn, den);
  const absDen = times(cs, `${path}.absDen`, sd, den);
  const s = g.fmod ? signOf(cs, `${path}.numSign[0]`, g.signNum, g.bn, num) : sd;
  const base = times(cs, `${path}.base`, s, num);
  const [vb, vd] = [signed(cs.value(base)), signed(cs.value(absDen))];
  const quotient = floorDiv(vb, vd);
  const q = wireLc(cs.wire(`${path}.q`, quotient));
  const m = wireLc(cs.wire(`${path}.m`, vb - quotient * vd));
  // base === q * absDen + m: two signals, in the order written (linear for a constant divisor).
  const kd = constantOf(absDen);
  if (kd !== undefined) cs.linear(addScaled(addScaled(new Map(base), m, -1n), q, -kd));
  else cs.quadratic(q, absDen, addScaled(new Map(base), m, -1n));
  checks(cs, path, g.bd, g.bq, g.qlo, q, m, absDen);
  const ks = constantOf(s);
  if (ks !== undefined) return addScaled(new Map(), m, ks);
  const out = wireLc(cs.wire(outName, cs.value(s) * cs.value(m)));
  cs.quadratic(s, m, out);
  return out;
}
