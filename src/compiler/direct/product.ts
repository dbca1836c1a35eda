/**
 * circuits/product.circom and circuits/one.circom as constraint generators.
 */
import { ConstraintSystem, Lc, wireLc, constant } from './system';

/** DotProduct(n): one product wire p[i] = a[i] · b[i] each; the sum is linear (returned, no wire). */
export function dotProduct(cs: ConstraintSystem, path: string, pairs: Array<[Lc, Lc]>): Lc {
  const out = new Map<number, bigint>();
  pairs.forEach(([a, b], i) => {
    const p = cs.wire(`${path}.p[${i}]`, cs.value(a) * cs.value(b));
    cs.quadratic(a, b, wireLc(p));
    out.set(p, 1n);
  });
  return out;
}

/** One(): out = 1 in a wire, pinned by out · inv = 1 and out · out = out (2 constraints). */
export function one(cs: ConstraintSystem, path: string): Lc {
  const out = wireLc(cs.wire(`${path}.out`, 1n));
  const inv = wireLc(cs.wire(`${path}.inv`, 1n));
  cs.quadratic(out, inv, constant(1n));
  cs.quadratic(out, out, out);
  return out;
}

/** A materialised sum: a <-- acc; a · one === acc (one constraint; the sum sits in C). */
export function materialise(cs: ConstraintSystem, name: string, acc: Lc, unit: Lc): Lc {
  const a = wireLc(cs.wire(name, cs.value(acc)));
  cs.quadratic(a, unit, acc);
  return a;
}
