/**
 * What each witness wire is for, read from the circuit's .sym names. The soundness audit mutates
 * wires by role (outputs, quotient and remainder bits, sign bits, range-check bits, products), so it
 * needs to know which is which without trusting the witness calculator that produced them.
 *
 * Names are matched by suffix (`….g<tensor>_<row>.b.bits[i]`), so the audit does not depend on how
 * the emitter nests templates.
 */
import type { SymEntry } from '../compiler/r1cs-check';

/** One rescale gadget (Requantize / RequantizeRelu, or anything emitted in its place) and its wires. */
export interface GadgetWires {
  tensor: number;
  row: number;
  /** Component path, e.g. `main.g5_2`. */
  path: string;
  /** bit index → wire, for a bit-decomposed gadget (ours). */
  bits: Map<number, number>;
  /** Named wires of the component itself (`out`, `q`, `r`, ...) that survived optimization. */
  own: Map<string, number>;
}

export interface SignalRoles {
  /** Wires circom fixes from outside: the constant 1 and main's inputs. Never mutated. */
  fixed: Set<number>;
  /** Main's outputs: output index j → element → wire. */
  outputs: Map<number, Map<number, number>>;
  /** Keyed by component path: a batch circuit holds one instance of each gadget per inference. */
  gadgets: Map<string, GadgetWires>;
  /** Bits of input range checks. */
  rangeBits: number[];
  /** Product wires of DotProduct components. */
  products: number[];
  /** Any other surviving wire (Poseidon state, commitments, helper signals of later templates). */
  other: Map<number, string>;
}

const GADGET = /(^|\.)g(\d+)_(\d+)\.(.+)$/;
const BIT = /^b\.bits\[(\d+)\]$/;
const OUTPUT = /^main\.y(\d+)\[(\d+)\]$/;
const RANGE_BIT = /(^|\.)rc\d+\[\d+\]\.b\.bits\[\d+\]$/;
const PRODUCT = /(^|\.)d\d+_\d+\.p\[\d+\]$/;

/**
 * nOutputs / nInputs: main's output and input signal counts (r1cs header). circom numbers signals
 * (labels) constant first, then main's outputs, then inputs, whatever the optimizer kept.
 */
export function classifySignals(entries: readonly SymEntry[], nOutputs: number, nInputs: number): SignalRoles {
  const roles: SignalRoles = { fixed: new Set([0]), outputs: new Map(), gadgets: new Map(), rangeBits: [], products: [], other: new Map() };
  const seen = new Set<number>([0]);
  for (const e of entries) {
    if (e.witness < 0) continue;
    if (e.label > nOutputs && e.label <= nOutputs + nInputs) {
      roles.fixed.add(e.witness);
      seen.add(e.witness);
      continue;
    }
    // A wire can carry several names (an output and the signal it copies); the first role wins.
    if (seen.has(e.witness)) continue;
    seen.add(e.witness);
    const out = OUTPUT.exec(e.name);
    if (out) {
      const j = Number(out[1]);
      if (!roles.outputs.has(j)) roles.outputs.set(j, new Map());
      roles.outputs.get(j)!.set(Number(out[2]), e.witness);
      continue;
    }
    if (RANGE_BIT.test(e.name)) {
      roles.rangeBits.push(e.witness);
      continue;
    }
    if (PRODUCT.test(e.name)) {
      roles.products.push(e.witness);
      continue;
    }
    const g = GADGET.exec(e.name);
    if (g) {
      const path = e.name.slice(0, e.name.length - g[4].length - 1);
      let gw = roles.gadgets.get(path);
      if (!gw) {
        gw = { tensor: Number(g[2]), row: Number(g[3]), path, bits: new Map(), own: new Map() };
        roles.gadgets.set(path, gw);
      }
      const bit = BIT.exec(g[4]);
      if (bit) gw.bits.set(Number(bit[1]), e.witness);
      else gw.own.set(g[4], e.witness);
      continue;
    }
    roles.other.set(e.witness, e.name);
  }
  return roles;
}
