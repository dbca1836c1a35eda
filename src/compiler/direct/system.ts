/**
 * A rank-1 constraint system built the way circom's --O2 leaves it, with the witness computed
 * alongside (the direct backend, docs/compile.md).
 *
 * A linear combination (Lc: wire → coefficient over the BN254 scalar field, wire 0 = the constant 1)
 * costs nothing until a quadratic constraint uses it: a signal defined by `<==` from a linear
 * expression is that expression (no wire), as --O2 substitutes it away. A linear constraint between
 * wires (a bit decomposition's sum) eliminates one wire, the newest one that is not fixed (main's
 * public signals: outputs and public inputs; private inputs are eliminable, as in circom): its value
 * becomes a linear combination of the others, substituted into every constraint when the system is
 * finished. Every wire gets its value when it is created, so the witness needs no second pass.
 */
import { BN254_R } from '../../formats/field';
import { ZkmlError } from '../../errors';

const P = BN254_R;
export type Lc = Map<number, bigint>;

const mod = (v: bigint): bigint => {
  const r = v % P;
  return r < 0n ? r + P : r;
};

/** a^-1 mod P (extended Euclid). */
function inverse(a: bigint): bigint {
  let [r0, r1, s0, s1] = [mod(a), P, 1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return mod(s0);
}

export const constant = (c: bigint): Lc => (mod(c) === 0n ? new Map() : new Map([[0, mod(c)]]));
export const wireLc = (w: number): Lc => new Map([[w, 1n]]);

/** acc += k · x, in place. */
export function addScaled(acc: Lc, x: Lc, k: bigint = 1n): Lc {
  const kk = mod(k);
  if (kk === 0n) return acc;
  for (const [w, c] of x) {
    const prev = acc.get(w);
    if (prev === undefined && kk === 1n) {
      acc.set(w, c); // the common case (a copy): no multiply, no reduction
      continue;
    }
    const v = mod((prev ?? 0n) + c * kk);
    if (v === 0n) acc.delete(w);
    else acc.set(w, v);
  }
  return acc;
}

export const sum = (...xs: Array<[Lc, bigint]>): Lc => xs.reduce((acc, [x, k]) => addScaled(acc, x, k), new Map<number, bigint>());

interface Quadratic {
  a: Lc;
  b: Lc;
  c: Lc;
}

export class ConstraintSystem {
  /** Wire values (canonical), indexed by wire id; wire 0 is 1. */
  readonly values: bigint[] = [1n];
  readonly names: string[] = ['one'];
  /** Wires --O2 never eliminates (main's outputs and public inputs). */
  private readonly fixed = new Set<number>([0]);
  /** Eliminated wire → its value as a linear combination (possibly of other eliminated wires). */
  private readonly substitutions = new Map<number, Lc>();
  private readonly quadratics: Quadratic[] = [];
  /** Linear constraints between fixed wires only: kept as constraints (A = B = 0), as circom does. */
  private readonly fixedLinear: Lc[] = [];
  /** When false, only values are kept (no constraints): a witness-only build. */
  constructor(readonly withConstraints = true) {}

  /** A new wire holding `value` (a `<--` signal or a quadratic's output); fixed: one of main's public signals. */
  wire(name: string, value: bigint, fixed = false): number {
    const id = this.values.length;
    this.values.push(mod(value));
    this.names.push(name);
    if (fixed) this.fixed.add(id);
    return id;
  }

  /** Sets a fixed wire's value (main's outputs are declared first, computed last). */
  setValue(wire: number, value: bigint): void {
    this.values[wire] = mod(value);
  }

  /** The value of a linear combination on the current witness. */
  value(x: Lc): bigint {
    let s = 0n;
    for (const [w, c] of x) s += c * this.values[w];
    return mod(s);
  }

  /** a · b === c. */
  quadratic(a: Lc, b: Lc, c: Lc): void {
    if (this.withConstraints) this.quadratics.push({ a, b, c });
  }

  /**
   * x === 0 for a linear x: eliminates one of its non-fixed wires, the first of `prefer` it holds,
   * else its newest (the choices circom --O2 makes for our templates, checked against its r1cs).
   */
  linear(x: Lc, prefer: readonly number[] = []): void {
    if (!this.withConstraints) return;
    const r = this.resolve(x);
    let pick = prefer.find((w) => r.has(w) && !this.fixed.has(w)) ?? -1;
    if (pick < 0) for (const w of r.keys()) if (w > pick && !this.fixed.has(w)) pick = w;
    if (pick < 0) {
      if (r.size === 0) return;
      if (r.size === 1 && r.has(0)) throw new ZkmlError('INTERNAL', 'the direct backend derived an unsatisfiable constant constraint');
      this.fixedLinear.push(r);
      return;
    }
    const k = inverse(P - r.get(pick)!);
    const value = new Map<number, bigint>();
    for (const [w, c] of r) if (w !== pick) value.set(w, mod(c * k));
    this.substitutions.set(pick, value);
  }

  /** x with every eliminated wire replaced by its value (memoised: substitutions are resolved once). */
  private resolve(x: Lc): Lc {
    let needs = false;
    for (const w of x.keys()) if (this.substitutions.has(w)) needs = true;
    if (!needs) return x;
    const out = new Map<number, bigint>();
    for (const [w, c] of x) {
      const s = this.substitutions.get(w);
      if (s === undefined) addScaled(out, new Map([[w, c]]));
      else addScaled(out, this.resolvedSubstitution(w, s), c);
    }
    return out;
  }

  private resolvedSubstitution(w: number, s: Lc): Lc {
    const r = this.resolve(s);
    if (r !== s) this.substitutions.set(w, r);
    return r;
  }

  /** The finished system: constraints over the surviving wires, renumbered densely in creation order. */
  finish(): FinishedSystem {
    const used = new Set<number>(this.fixed);
    const resolved = this.quadratics.map((q) => ({ a: this.resolve(q.a), b: this.resolve(q.b), c: this.resolve(q.c) }));
    for (const q of resolved) for (const lc of [q.a, q.b, q.c]) for (const w of lc.keys()) used.add(w);
    for (const lc of this.fixedLinear) for (const w of lc.keys()) used.add(w);
    const wireOf = new Int32Array(this.values.length).fill(-1);
    const labels: number[] = [];
    for (let w = 0; w < this.values.length; w++) {
      if (!used.has(w) || this.substitutions.has(w)) continue;
      wireOf[w] = labels.length;
      labels.push(w);
    }
    const constraints: FinishedConstraint[] = resolved.map((q) => [q.a, q.b, q.c]);
    // Written as circom does (C = -(y - x): the first signal's coefficient is -1).
    for (const lc of this.fixedLinear) constraints.push([new Map(), new Map(), addScaled(new Map(), lc, -1n)]);
    return { constraints, labels, wireOf, witness: labels.map((l) => this.values[l]), names: this.names, nLabels: this.values.length };
  }

  /** The witness only (a witness-only build: every wire, no elimination), by label. */
  get labelValues(): readonly bigint[] {
    return this.values;
  }
}

/** One constraint A · B = C over surviving labels (map them to wires with wireOf). */
export type FinishedConstraint = [Lc, Lc, Lc];

export interface FinishedSystem {
  constraints: FinishedConstraint[];
  /** wire → label (the signal's id when created). */
  labels: number[];
  /** label → wire, -1 when eliminated or unused. */
  wireOf: Int32Array;
  /** The witness, by wire. */
  witness: bigint[];
  /** label → signal name (circom's naming, for the .sym file and the audit). */
  names: string[];
  nLabels: number;
}
