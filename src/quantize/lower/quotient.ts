/**
 * Division by a computed value whose range contains 0, exactly: a quotient layer (Layer.divide,
 * circuits/divide.circom) computes Q = round(N / D) for the divisor's integer D and proves D ≠ 0 (a
 * zero divisor has no witness, so no proof exists for an input that divides by zero). A nonzero
 * integer is at least one quantum, so |Q| <= |N| and the quotient's range is bounded by the bound
 * analysis; the remainder and the quotient are range-checked.
 *
 * Scales: n at scale sN over d at scale sD is N/D·2^(sD − sN); the output at scale t is
 * Q = round(N·2^k / D) with k = t + sD − sN (k < 0: the divisor's coefficient is 2^−k instead).
 *
 * Error, against the float model's n / d with |n − n̂| <= e_n and |d − d̂| <= e_d:
 *     |n/d − n̂/d̂| <= e_n / (m − e_d) + |n̂|·e_d / (m·(m − e_d))   (+ half a step of Q)
 * with m the smallest nonzero |d̂| (one quantum, or the divisor's granularity: 2x at scale s only
 * takes even values). When e_d >= m the true divisor may be 0 and no bound exists: refused as
 * FUNCTION_UNBOUNDED.
 */
import { ZkmlError } from '../../errors';
import type { IrNode } from '../../formats/graph';
import type { Term } from '../../formats/quantized-model';
import type { LowerContext, RowDraft, VarTensor } from '../context';
import { emptyRow } from './terms';

/** The numerator of element i: a constant, or element `index` of a tensor. */
export type Numerator = { constant: number } | { tensor: VarTensor; index: number };

/** Whether the divisor's integer range contains 0 (then the quotient layer is the only bounded construction). */
export function rangeHasZero(ctx: LowerContext, d: VarTensor): boolean {
  return ctx.bounds[d.id].some((b) => b.lo <= 0n && b.hi >= 0n);
}

const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? (a < 0n ? -a : a) : gcd(b, a % b));

/**
 * The granularity g of element i of x: every value it takes is a multiple of g. A linear row (no
 * rescale, no products) of terms whose coefficients and bias share a factor g only takes multiples of g.
 */
function granularity(ctx: LowerContext, x: VarTensor, i: number): bigint {
  const layer = ctx.layers.find((l) => l.out === x.id);
  if (!layer || layer.shift !== 0 || layer.relu || layer.argmax || layer.compare || layer.segments || layer.divide || layer.modulo) return 1n;
  const row = layer.rows[i];
  if (row.products.length > 0 || row.paramTerms?.length || row.terms.some((t) => t[3] !== undefined)) return 1n;
  const g = row.terms.reduce((a, t) => gcd(a, t[2]), row.bias);
  return g === 0n ? 1n : g;
}

/** Smallest nonzero |value| of element i, in float units. */
export function smallestNonzero(ctx: LowerContext, d: VarTensor, i: number): number {
  const b = ctx.bounds[d.id][i];
  const g = granularity(ctx, d, i);
  const m = b.lo > 0n ? b.lo : b.hi < 0n ? -b.hi : g;
  return Number(m < g ? g : m) / 2 ** d.scaleBits;
}

/**
 * Appends the quotient layer n[i] / d[divisorIndex[i]] at the output's calibrated scale (or `scale`).
 * `outName` names the output; the returned tensor is it.
 */
export function lowerQuotient(ctx: LowerContext, node: IrNode, outName: string, shape: number[], numerators: Numerator[], d: VarTensor, divisorIndex: ArrayLike<number>, scale?: number): VarTensor {
  const t = scale ?? ctx.targetScale(outName);
  const numeratorScale = (n: Numerator) => ('constant' in n ? 0 : n.tensor.scaleBits);
  const divisors: Term[] = [];
  const rows: RowDraft[] = numerators.map((n, i) => {
    const j = divisorIndex[i];
    const sN = 'constant' in n ? t + d.scaleBits : numeratorScale(n);
    const k = t + d.scaleBits - sN;
    const row = emptyRow();
    const numCoef = k >= 0 ? 1n << BigInt(k) : 1n;
    divisors.push([d.id, j, k >= 0 ? 1n : 1n << BigInt(-k)]);
    let numError: number;
    let numMax: number;
    if ('constant' in n) {
      // The constant at scale t + sD: N / D = c·2^(t + sD)/D is the quotient at scale t.
      const q = Math.round(n.constant * 2 ** sN);
      row.bias = BigInt(q);
      numError = Math.abs(q / 2 ** sN - n.constant);
      numMax = Math.abs(q / 2 ** sN);
    } else {
      row.terms.push([n.tensor.id, n.index, numCoef]);
      numError = ctx.error(n.tensor, n.index);
      numMax = ctx.maxAbs(n.tensor, n.index) - numError;
    }
    const m = smallestNonzero(ctx, d, j);
    const ed = ctx.error(d, j);
    if (ed >= m) {
      throw new ZkmlError(
        'FUNCTION_UNBOUNDED',
        `node '${node.name}' (${node.opType}): the divisor's error bound ${ed.toPrecision(3)} reaches its smallest nonzero value ${m.toPrecision(3)}, so the true divisor may be 0 (no finite error bound)`,
        { node: node.name, opType: node.opType },
      );
    }
    row.error = numError / (m - ed) + (numMax * ed) / (m * (m - ed)) + 2 ** -(t + 1);
    return row;
  });
  return ctx.addLayer(node, outName, shape, rows, t, 0, false, undefined, undefined, undefined, { divisors });
}
