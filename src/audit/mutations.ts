/**
 * Witness mutations by class. Each one keeps main's inputs fixed, so a mutated witness the R1CS
 * accepts is a proof of a false statement about the same input: a forgery.
 *
 * Single-wire changes catch a wire no constraint ties down. Compensated changes (a bit +1 and the
 * bit below -2, so the bit sum is unchanged) and forged rescales (quotient +1, remainder -2^k, the
 * public output +1, every linear relation kept) leave only the range constraints to object: those
 * are what catch circomlib-ml's Dense, whose remainder is bounded by an assert alone.
 */
import type { Gadget, QuantizedModel } from '../formats/quantized-model';
import type { GadgetWires, SignalRoles } from './signal-roles';

export interface Mutation {
  label: string;
  edits: ReadonlyArray<readonly [wire: number, value: bigint]>;
}

export type MutationClass = 'outputs' | 'quotient bits' | 'remainder bits' | 'sign bits' | 'range-check bits' | 'products' | 'forged rescale' | 'other';

export type MutationsByClass = Map<MutationClass, Mutation[]>;

function bump(label: string, wire: number, v: bigint, p: bigint): Mutation[] {
  return [
    { label: `${label} + 1`, edits: [[wire, (v + 1n) % p]] },
    { label: `${label} - 1`, edits: [[wire, (v - 1n + p) % p]] },
  ];
}

/** A bit flipped, and the compensated pair (bit i +1, bit i-1 -2) that keeps the weighted sum. */
function bitMutations(label: string, bits: ReadonlyMap<number, number>, i: number, w: readonly bigint[], p: bigint): Mutation[] {
  const wire = bits.get(i)!;
  const out: Mutation[] = [{ label: `${label}[${i}] flipped`, edits: [[wire, 1n - w[wire]]] }];
  const below = bits.get(i - 1);
  if (below !== undefined) {
    out.push({
      label: `${label}[${i}] +1, [${i - 1}] -2`,
      edits: [
        [wire, (w[wire] + 1n) % p],
        [below, (w[below] - 2n + p) % p],
      ],
    });
  }
  return out;
}

function gadgetSplit(g: Gadget): { k: number; top: number; sign?: number } | undefined {
  if (g.kind === 'requantize') return { k: g.k, top: g.k + g.n };
  if (g.kind === 'requantizeRelu') return { k: g.k, top: g.k + g.m, sign: g.k + g.m };
  return undefined;
}

export function generateMutations(model: QuantizedModel, roles: SignalRoles, w: readonly bigint[], p: bigint): MutationsByClass {
  const byClass: MutationsByClass = new Map();
  const add = (c: MutationClass, ms: Mutation[]) => {
    if (!byClass.has(c)) byClass.set(c, []);
    byClass.get(c)!.push(...ms);
  };

  for (const [j, elems] of roles.outputs) {
    for (const [i, wire] of elems) add('outputs', bump(`y${j}[${i}]`, wire, w[wire], p));
  }
  for (const wire of roles.rangeBits) {
    add('range-check bits', [{ label: `range bit wire ${wire} flipped`, edits: [[wire, 1n - w[wire]]] }]);
  }
  for (const wire of roles.products) add('products', bump(`product wire ${wire}`, wire, w[wire], p));
  for (const [wire, name] of roles.other) add('other', bump(name, wire, w[wire], p));

  const instances = new Map<string, GadgetWires[]>();
  for (const gw of roles.gadgets.values()) {
    const key = `${gw.tensor}_${gw.row}`;
    if (!instances.has(key)) instances.set(key, []);
    instances.get(key)!.push(gw);
  }
  const outputOf = new Map(model.outputs.map((o, j) => [o.tensor, j]));
  for (const layer of model.layers) {
    layer.gadgets?.forEach((g, row) => {
      const split = gadgetSplit(g);
      if (!split) return;
      const found = instances.get(`${layer.out}_${row}`) ?? [];
      for (const gw of found) {
        for (const i of gw.bits.keys()) {
          const cls: MutationClass = i === split.sign ? 'sign bits' : i < split.k ? 'remainder bits' : 'quotient bits';
          add(cls, bitMutations(`${gw.path}.bits`, gw.bits, i, w, p));
        }
        for (const [name, wire] of gw.own) add('other', bump(`${gw.path}.${name}`, wire, w[wire], p));
      }
      // Forged outputs need a public output wire to raise: one inference per proof, outputs public.
      const j = outputOf.get(layer.out);
      const yWire = j === undefined ? undefined : roles.outputs.get(j)?.get(row);
      if (yWire === undefined || found.length > 1) return;
      // No surviving wire of its own: every internal signal was a linear function of others (O2).
      const gw = found[0] ?? { tensor: layer.out, row, path: `g${layer.out}_${row}`, bits: new Map<number, number>(), own: new Map<string, number>() };
      const forged = forgeRescale(gw, split, yWire, w, p);
      if (forged) add('forged rescale', [forged]);
    });
  }
  return byClass;
}

/**
 * The output one higher with the gadget's input unchanged: quotient +1 and remainder -2^k, written
 * into whatever wires the gadget has (its bits, or explicit quotient/remainder signals), and the
 * public output +1. Skipped where a ReLU holds the output at 0 (no single-step forgery there).
 */
function forgeRescale(
  gw: { path: string; bits: ReadonlyMap<number, number>; own: ReadonlyMap<string, number> },
  split: { k: number; sign?: number },
  yWire: number,
  w: readonly bigint[],
  p: bigint,
): Mutation | undefined {
  const shift = 1n << BigInt(split.k);
  const edits: Array<readonly [number, bigint]> = [[yWire, (w[yWire] + 1n) % p]];
  if (gw.bits.size > 0) {
    if (split.sign !== undefined && w[gw.bits.get(split.sign)!] === 0n) return undefined;
    // A bit the decomposition eliminated (its sum was spent on it) follows the others: nothing to write.
    const qLow = gw.bits.get(split.k);
    if (qLow !== undefined) edits.push([qLow, (w[qLow] + 1n) % p]);
    const r0 = gw.bits.get(0);
    if (split.k > 0 && r0 !== undefined) edits.push([r0, (w[r0] - shift + p) % p]);
  } else {
    const q = gw.own.get('out') ?? gw.own.get('q');
    if (q !== undefined && q !== yWire) edits.push([q, (w[q] + 1n) % p]);
    const r = gw.own.get('r') ?? gw.own.get('remainder');
    if (r !== undefined) edits.push([r, (w[r] - shift + p) % p]);
  }
  for (const name of ['out'] as const) {
    const wire = gw.bits.size > 0 ? gw.own.get(name) : undefined;
    if (wire !== undefined && wire !== yWire) edits.push([wire, (w[wire] + 1n) % p]);
  }
  return { label: `${gw.path}: quotient +1, remainder -2^${split.k}, output +1`, edits };
}
