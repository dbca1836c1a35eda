/**
 * circuits/argmax.circom as a constraint generator: a one-hot selector (n boolean constraints, its
 * sum pinned to 1), the picked maximum (n products), and a b-bit decomposition of m - in[i] - t_i per
 * element (n · b): n · (b + 2) constraints; the output, sum(i · sel[i]), is linear.
 */
import { BN254_R } from '../../formats/field';
import { bits } from './bits';
import { addScaled, constant, ConstraintSystem, Lc, wireLc } from './system';

const signed = (v: bigint): bigint => (v > BN254_R / 2n ? v - BN254_R : v);

export function argmax(cs: ConstraintSystem, path: string, b: number, last: boolean, inputs: Lc[]): Lc {
  const n = inputs.length;
  const v = inputs.map((x) => signed(cs.value(x)));
  let best = 0;
  for (let i = 1; i < n; i++) if (v[i] > v[best] || (last && v[i] === v[best])) best = i;

  const sel: Lc[] = [];
  const m = new Map<number, bigint>();
  const total = constant(-1n);
  const index = new Map<number, bigint>();
  for (let i = 0; i < n; i++) {
    const s = wireLc(cs.wire(`${path}.sel[${i}]`, i === best ? 1n : 0n));
    cs.quadratic(addScaled(constant(-1n), s), s, new Map());
    const picked = wireLc(cs.wire(`${path}.picked[${i}]`, cs.value(s) * cs.value(inputs[i])));
    cs.quadratic(s, inputs[i], picked);
    addScaled(total, s);
    addScaled(index, s, BigInt(i));
    addScaled(m, picked);
    sel.push(s);
  }
  cs.linear(total);

  let before = new Map<number, bigint>();
  let after = new Map<number, bigint>();
  for (const s of sel) addScaled(after, s);
  for (let i = 0; i < n; i++) {
    after = addScaled(new Map(after), sel[i], -1n);
    const d = addScaled(addScaled(new Map(m), inputs[i], -1n), last ? before : after, -1n);
    bits(cs, `${path}.d[${i}]`, b, d);
    before = addScaled(new Map(before), sel[i]);
  }
  return index;
}
