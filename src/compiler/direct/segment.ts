/**
 * circuits/segment.circom as a constraint generator: a one-hot selector over the table's segments
 * (n boolean constraints; sum = 1 is linear and eliminates the last selector), the chosen segment's
 * bounds L, H (linear), in - L and H - in each decomposed into b bits (2b), and out = base + in ·
 * slope (one product, none when every segment has the same slope: slope is then a constant once the
 * last selector is substituted). n + 2b + 1 constraints for n >= 2, 2b + 1 for n = 1.
 */
import type { SegmentTable } from '../../formats/quantized-model';
import { BN254_R } from '../../formats/field';
import { ZkmlError } from '../../errors';
import { bits } from './bits';
import { addScaled, constant, ConstraintSystem, Lc, wireLc } from './system';

const signed = (v: bigint): bigint => (v > BN254_R / 2n ? v - BN254_R : v);

export function segment(cs: ConstraintSystem, path: string, table: SegmentTable, b: number, sameSlope: boolean, input: Lc, outName: string): Lc {
  const n = table.lo.length;
  const x = signed(cs.value(input));
  const chosen = table.lo.findIndex((lo, j) => x >= lo && x <= table.hi[j]);
  // No segment holds x (a run-time index outside a restricted table): no witness exists.
  if (chosen < 0 && !cs.withConstraints) throw new ZkmlError('WITNESS_FAILED', `${path}: the value ${x} lies outside the segment table [${table.lo[0]}, ${table.hi[n - 1]}]`);

  const total = constant(-1n);
  const low = new Map<number, bigint>();
  const high = new Map<number, bigint>();
  const base = new Map<number, bigint>();
  const slope = new Map<number, bigint>();
  const selectors: number[] = [];
  for (let j = 0; j < n; j++) {
    // n = 1: sum = 1 makes sel[0] the constant 1 (circom drops its boolean constraint, 1 · 0 = 0).
    if (n > 1) selectors.push(cs.wire(`${path}.sel[${j}]`, j === chosen ? 1n : 0n));
    const s = n === 1 ? constant(1n) : wireLc(selectors[j]);
    if (n > 1) cs.quadratic(addScaled(constant(-1n), s), s, new Map());
    addScaled(total, s);
    addScaled(low, s, table.lo[j]);
    addScaled(high, s, table.hi[j]);
    addScaled(base, s, table.alpha[j]);
    addScaled(slope, s, table.beta[j]);
  }
  if (n > 1) cs.linear(total);

  bits(cs, `${path}.above`, b, addScaled(new Map(input), low, -1n));
  bits(cs, `${path}.below`, b, addScaled(new Map(high), input, -1n));

  if (sameSlope) {
    // out = base + beta · in is linear. For n >= 2 --O2 keeps out in a wire (circom numbers main's
    // signals before the gadget's) and eliminates the newest selector left, sel[n - 2], instead.
    const line = addScaled(base, input, table.beta[0]);
    if (n === 1) return line;
    const out = cs.wire(outName, cs.value(line));
    cs.linear(addScaled(wireLc(out), line, -1n), [selectors[n - 2]]);
    return wireLc(out);
  }
  // --O2 keeps the output in a wire (the Model's tensor signal) and spends out === base + product on
  // the product, so the product constraint reads slope · in = out - base (the expression in A).
  const product = cs.wire(`${path}.product`, cs.value(input) * cs.value(slope));
  const out = cs.wire(outName, cs.value(base) + cs.values[product]);
  cs.linear(addScaled(addScaled(wireLc(out), base, -1n), wireLc(product), -1n), [product]);
  cs.quadratic(slope, input, wireLc(product));
  return wireLc(out);
}
