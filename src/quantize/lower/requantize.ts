/**
 * Requantization by a fixed-point multiplier, as QuantizeLinear and the QLinear ops define it:
 *     q = saturate(roundHalfEven(A · μ) + zp)
 * for an integer accumulator row A (at scale 2^-a) and a real multiplier μ per row.
 *
 * μ·2^-a becomes M / 2^K with an integer M: exactly when it is dyadic (a float32 scale ratio always
 * is), else with MULTIPLIER_BITS significant bits (`--target resources` uses fewer). B = A·M is exact.
 *
 * Rounding half to even from the circuit's one rounding primitive (floor((x + 2^(K-1)) / 2^K)):
 *     f = floor(B / 2^K),  g = floor(f / 2),  p = f − 2g  (the parity of f),
 *     q' = floor((B + 2^(K-1) − 1 + p) / 2^K)
 * rounds half down when f is even and half up when f is odd: half to even. Each floor is a fully
 * constrained rescale (remainder and quotient decomposed), so q' is pinned. When no B in the row's
 * range can be a tie (B ≡ 2^(K-1) mod 2^K is impossible by the 2-adic valuations of its
 * coefficients), one rescale suffices. `--target resources` always uses the one rescale (half up:
 * it differs from the spec only on exact ties, by one unit).
 *
 * Saturation: clip to [qmin, qmax] by two relus (lowerClamp), only where the bounds can reach out.
 */
import { rowHasParams } from '../params';
import { ZkmlError } from '../../errors';
import type { IrNode } from '../../formats/graph';
import type { LowerContext, RowDraft, VarTensor } from '../context';
import type { Row } from '../../formats/quantized-model';
import { lowerClamp } from './activations';
import { setError } from './minmax';
import { emptyRow } from './terms';

/** Significant bits of an inexact multiplier (accuracy target / default, and resources target). */
export const MULTIPLIER_BITS = { accuracy: 31, balanced: 24, resources: 16 } as const;
/** Exact multipliers with more fraction bits than this are rounded instead. */
const MAX_EXACT_SHIFT = 64;

export interface Multiplier {
  m: bigint;
  k: number;
  exact: boolean;
}

/**
 * mu = M / 2^K. `exact`: mu is the true multiplier (not a rounded quotient), so it is used as it is
 * when it is dyadic with K <= MAX_EXACT_SHIFT; otherwise it is rounded to `bits` significant bits.
 */
export function fixedMultiplier(mu: number, bits: number, exact = true): Multiplier {
  if (!(mu > 0) || !Number.isFinite(mu)) throw new ZkmlError('INTERNAL', `bad requantization multiplier ${mu}`);
  for (let k = 0; exact && k <= MAX_EXACT_SHIFT; k++) {
    const v = mu * 2 ** k;
    if (Number.isInteger(v) && Number.isSafeInteger(v)) return { m: BigInt(v), k, exact: true };
  }
  const k = Math.max(0, bits - 1 - Math.floor(Math.log2(mu)));
  return { m: BigInt(Math.round(mu * 2 ** k)), k, exact: false };
}

function valuation(v: bigint): number {
  if (v === 0n) return Infinity;
  let n = 0;
  while ((v & 1n) === 0n) {
    v >>= 1n;
    n++;
  }
  return n;
}

const mod = (a: bigint, m: bigint) => ((a % m) + m) % m;

/** Can B = bias + Σ c·x (x any integers) be ≡ 2^(K-1) mod 2^K? */
export function tiePossible(row: Row, k: number): boolean {
  if (k === 0) return false;
  const v = Math.min(...row.terms.map(([, , c]) => valuation(c)), row.products.length > 0 ? 0 : Infinity);
  const span = 1n << BigInt(Math.min(v, k));
  return mod((1n << BigInt(k - 1)) - row.bias, span) === 0n;
}

const scaleRow = (r: Row, f: bigint): RowDraft => ({ bias: r.bias * f, terms: r.terms.map(([t, i, c]) => [t, i, c * f]), products: [], error: 0 });

export interface RequantizeSpec {
  /** Integer accumulator rows (no products) at scale 2^-accScale, with their float error. */
  rows: RowDraft[];
  accScale: number;
  /** Real multiplier and zero point per row. */
  mu: ArrayLike<number>;
  /** Whether mu is exactly the multiplier the spec uses (a float32 scale ratio), or a rounded quotient like 1/s. */
  muExact: boolean;
  zeroPoint: ArrayLike<number>;
  qmin: number;
  qmax: number;
}

/** Lowers a requantization; returns the saturated integer tensor `outName` (scale 0). */
export function lowerRequantize(ctx: LowerContext, node: IrNode, outName: string, shape: number[], spec: RequantizeSpec): VarTensor {
  const target = ctx.settings.target;
  let rows = spec.rows;
  if (rows.some((r) => r.products.length > 0 || rowHasParams(r))) {
    // Products and weight signals cannot be scaled by M: materialize the exact accumulator first (no rescale).
    const acc = ctx.addLayer(node, `${outName}#acc`, shape, rows, spec.accScale, 0, false);
    rows = rows.map((r, i) => ({ ...emptyRow(), terms: [[acc.id, i, 1n]], error: r.error }));
  }
  const mults = rows.map((_, i) => fixedMultiplier(spec.mu[i] / 2 ** spec.accScale, MULTIPLIER_BITS[target], spec.muExact));
  const K = Math.max(...mults.map((m) => m.k));
  // B = A·M at the common shift K; its float error in output units.
  const B = rows.map((r, i) => scaleRow(r, mults[i].m << BigInt(K - mults[i].k)));
  const accAbs = rows.map((r) => {
    let lo = r.bias;
    let hi = r.bias;
    for (const [t, i, c] of r.terms) {
      const b = ctx.bounds[t][i];
      lo += c >= 0n ? c * b.lo : c * b.hi;
      hi += c >= 0n ? c * b.hi : c * b.lo;
    }
    return Math.max(Math.abs(Number(lo)), Math.abs(Number(hi)));
  });
  const preError = rows.map((r, i) => {
    const mu = spec.mu[i];
    const approx = Number(mults[i].m) / 2 ** mults[i].k;
    return mu * r.error + Math.abs(approx - mu / 2 ** spec.accScale) * accAbs[i];
  });
  const half = K > 0 ? 1n << BigInt(K - 1) : 0n;
  const zpShift = (i: number) => BigInt(spec.zeroPoint[i]) << BigInt(K);
  const evenRows = target !== 'resources' && B.some((b) => tiePossible(b, K));

  let q: VarTensor;
  if (K === 0 || !evenRows) {
    q = ctx.addLayer(
      node,
      `${outName}#q`,
      shape,
      B.map((b, i) => ({ ...b, bias: b.bias + zpShift(i) })),
      K,
      K,
      false,
    );
  } else {
    const f = ctx.addLayer(
      node,
      `${outName}#floor`,
      shape,
      B.map((b) => ({ ...b, bias: b.bias - half })),
      K,
      K,
      false,
    );
    const g = ctx.addLayer(
      node,
      `${outName}#half`,
      shape,
      B.map((_, i) => ({ ...emptyRow(), bias: -1n, terms: [[f.id, i, 1n]] })),
      1,
      1,
      false,
    );
    const qRows = B.map((b, i) => ({ ...b, bias: b.bias - 1n + zpShift(i), terms: [...b.terms, [f.id, i, 1n], [g.id, i, -2n]] as Row['terms'] }));
    q = ctx.addLayer(node, `${outName}#q`, shape, qRows, K, K, false);
  }
  const exactRounding = K === 0 || target !== 'resources' || !B.some((b) => tiePossible(b, K));
  // |round(u) − round(v)| <= |u − v| + 1; nothing is lost when u = v exactly with the spec's rounding.
  const errors = preError.map((e) => (e === 0 && exactRounding ? 0 : e + 1));
  const outOfRange = ctx.bounds[q.id].some((b) => b.lo < BigInt(spec.qmin) || b.hi > BigInt(spec.qmax));
  let y = q;
  if (outOfRange) {
    const idRows = errors.map((e, i) => ({ ...emptyRow(), terms: [[q.id, i, 1n]] as Row['terms'], error: e }));
    y = lowerClamp(ctx, node, outName, shape, idRows, 0, 0, spec.qmin, spec.qmax);
  } else {
    ctx.alias(outName, q, shape);
  }
  errors.forEach((e, i) => setError(ctx, y, i, e));
  return y;
}
