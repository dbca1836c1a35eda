/**
 * circuits/compare.circom as constraint generators: NonNegative(b), the top bit of in + 2^b (b + 1
 * constraints; the top bit is kept as the output wire, the decomposition's sum eliminates bit b - 1), and
 * EqualsZero(), the inverse trick (2 constraints: in · inv = 1 - out, in · out = 0).
 */
import { bits, bitWires, weighted } from './bits';
import { addScaled, constant, ConstraintSystem, Lc, wireLc } from './system';
import { BN254_R } from '../../formats/field';

/** NonNegative(b): 1 if in >= 0 else 0, for -2^b <= in < 2^b. */
export function nonNegative(cs: ConstraintSystem, path: string, b: number, input: Lc): Lc {
  const shifted = addScaled(new Map(input), constant(1n << BigInt(b)));
  if (b === 0) return bits(cs, `${path}.bits`, 1, shifted)[0];
  // out <== bits[b] keeps the top bit (circom numbers out before the Bits component's signals), so
  // the decomposition's sum eliminates the next bit down.
  const w = bitWires(cs, `${path}.bits`, b + 1, shifted);
  cs.linear(addScaled(weighted(w), shifted, -1n), [w[b - 1]], [w[0]]);
  return wireLc(w[b]);
}

/** EqualsZero(): 1 if in == 0 else 0; inv is pinned wherever in != 0. */
export function equalsZero(cs: ConstraintSystem, path: string, input: Lc): Lc {
  const v = cs.value(input);
  const inv = wireLc(cs.wire(`${path}.inv`, v === 0n ? 0n : inverse(v)));
  const out = wireLc(cs.wire(`${path}.out`, v === 0n ? 1n : 0n));
  cs.quadratic(input, inv, addScaled(constant(1n), out, -1n));
  cs.quadratic(input, out, new Map());
  return out;
}

/** a^-1 mod p for a != 0 (Fermat). */
function inverse(a: bigint): bigint {
  let result = 1n;
  let base = a % BN254_R;
  for (let e = BN254_R - 2n; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * base) % BN254_R;
    base = (base * base) % BN254_R;
  }
  return result;
}
