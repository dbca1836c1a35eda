/**
 * Private weights: a node's constant tensors become weight signals w[...] of the circuit instead of
 * constants. Each tensor is a ParamGroup of the circuit's integers; its committed range is the
 * smallest signed [-2^(b-1), 2^(b-1)) holding them, so the bound analysis (and every bit width that
 * follows from it) holds for any weights of those widths, not only for these values.
 */
import { ZkmlError } from '../errors';
import type { Interval, ParamGroup, Row } from '../formats/quantized-model';

/** Records the integers of one constant tensor as they are computed during lowering. */
export class ParamTensor {
  private readonly assigned: boolean[];
  sealed = false;

  constructor(readonly group: ParamGroup) {
    this.assigned = new Array<boolean>(group.values.length).fill(false);
  }

  /** Stores element `index`'s integer; returns its weight signal. An element has one value however often it is used. */
  set(index: number, value: bigint): number {
    if (this.sealed) throw new ZkmlError('INTERNAL', `weights '${this.group.name}' were set after their layer was analyzed`);
    if (this.assigned[index] && this.group.values[index] !== value) {
      throw new ZkmlError('INTERNAL', `weights '${this.group.name}'[${index}] take two values (${this.group.values[index]}, ${value})`);
    }
    this.assigned[index] = true;
    this.group.values[index] = value;
    return this.group.offset + index;
  }

  /** Fixes the committed range from the values (unused elements stay 0). */
  seal(): void {
    let bits = 1;
    for (const v of this.group.values) bits = Math.max(bits, signedBits(v));
    this.group.width = bits;
    this.group.lo = -(1n << BigInt(bits - 1));
    this.sealed = true;
  }
}

/** Fewest bits b with -2^(b-1) <= v < 2^(b-1). */
export function signedBits(v: bigint): number {
  const m = v < 0n ? -v - 1n : v;
  return (m === 0n ? 0 : m.toString(2).length) + 1;
}

/** The interval of every weight signal, by index. */
export function paramIntervals(groups: readonly ParamGroup[] = []): Interval[] {
  const out: Interval[] = [];
  for (const g of groups) {
    const range = { lo: g.lo, hi: g.lo + (1n << BigInt(g.width)) - 1n };
    for (let i = 0; i < g.values.length; i++) out.push(range);
  }
  return out;
}

/** Every weight signal's value, by index. */
export function paramValues(groups: readonly ParamGroup[] = []): bigint[] {
  return groups.flatMap((g) => g.values);
}

/** Number of weight signals. */
export const paramCount = (groups: readonly ParamGroup[] = []): number => groups.reduce((a, g) => a + g.values.length, 0);

/** Whether a row reads weight signals (its coefficients are then not constants). */
export const rowHasParams = (row: Row): boolean => (row.paramTerms?.length ?? 0) > 0 || row.terms.some((t) => t[3] !== undefined);

/** Multiplications a row costs: its products, plus one per term whose coefficient is a weight signal. */
export const rowMultiplications = (row: Row): number => row.products.length + row.terms.reduce((a, t) => a + (t[3] === undefined ? 0 : 1), 0);
