/**
 * Static bound analysis: interval arithmetic over the integer model. Every element's exact range
 * gives the smallest safe bit width of its range checks, so circuits are as small as they can be.
 */
import { ZkmlError } from '../errors';
import { bitsForSpan, divideRound, relu, roundShift, signedMagnitudeBits } from './fixed-point';
import type { CompareTest, Gadget, Interval, Layer, Row, SegmentTable, Term } from '../formats/quantized-model';

/** Values must stay far below the field modulus (~2^253.6) so that no linear combination wraps. */
export const MAX_MAGNITUDE_BITS = 250;
/** Bit decompositions must be unique: at most 252 bits. */
export const MAX_DECOMPOSITION_BITS = 252;

function mulInterval(a: Interval, b: Interval): Interval {
  const c = [a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi];
  return { lo: c.reduce((x, y) => (y < x ? y : x)), hi: c.reduce((x, y) => (y > x ? y : x)) };
}

/**
 * The range of a row's accumulator over every value its inputs may take; with private weights, over
 * every weight in its committed range (`params`, by weight signal), so the circuit does not depend
 * on the weights' values.
 */
export function accumulatorInterval(row: Row, bounds: Interval[][], params: Interval[] = []): Interval {
  let lo = row.bias;
  let hi = row.bias;
  for (const [p, c] of row.paramTerms ?? []) {
    const w = mulInterval(params[p], { lo: c, hi: c });
    lo += w.lo;
    hi += w.hi;
  }
  for (const [t, i, c, p] of row.terms) {
    const x = bounds[t][i];
    if (p !== undefined) {
      const w = mulInterval(params[p], x);
      lo += w.lo;
      hi += w.hi;
    } else if (c >= 0n) {
      lo += c * x.lo;
      hi += c * x.hi;
    } else {
      lo += c * x.hi;
      hi += c * x.lo;
    }
  }
  for (const [ta, ia, tb, ib] of row.products) {
    const p = mulInterval(bounds[ta][ia], bounds[tb][ib]);
    lo += p.lo;
    hi += p.hi;
  }
  return { lo, hi };
}

const magnitude = (v: bigint): bigint => (v < 0n ? -v : v);

/** Picks the cheapest sound gadget for one output element from its accumulator range. */
export function chooseGadget(acc: Interval, shift: number, applyRelu: boolean, where: string): { gadget: Gadget; out: Interval } {
  const limit = 1n << BigInt(MAX_MAGNITUDE_BITS);
  if (magnitude(acc.lo) >= limit || magnitude(acc.hi) >= limit) {
    throw new ZkmlError('MODEL_TOO_LARGE', `${where}: values need more than ${MAX_MAGNITUDE_BITS} bits; lower the weight or activation bits`, { limit: MAX_MAGNITUDE_BITS, unit: 'bits' });
  }
  const q = { lo: roundShift(acc.lo, shift), hi: roundShift(acc.hi, shift) };
  let gadget: Gadget;
  let out = q;
  if (applyRelu && q.hi <= 0n) {
    gadget = { kind: 'zero' };
    out = { lo: 0n, hi: 0n };
  } else if (applyRelu && q.lo < 0n) {
    gadget = { kind: 'requantizeRelu', k: shift, m: signedMagnitudeBits(q.lo, q.hi) };
    out = { lo: 0n, hi: relu(q.hi) };
  } else if (shift === 0) {
    gadget = { kind: 'linear' };
  } else {
    gadget = { kind: 'requantize', k: shift, n: bitsForSpan(q.hi - q.lo), lo: q.lo };
  }
  const bits = gadgetBits(gadget);
  if (bits > MAX_DECOMPOSITION_BITS) {
    throw new ZkmlError('MODEL_TOO_LARGE', `${where}: a range check of ${bits} bits exceeds ${MAX_DECOMPOSITION_BITS}`, { count: bits, limit: MAX_DECOMPOSITION_BITS, unit: 'bits' });
  }
  return { gadget, out };
}

/** Bits decomposed by a gadget: its range-check cost. */
export function gadgetBits(g: Gadget): number {
  switch (g.kind) {
    case 'linear':
    case 'zero':
    case 'one':
    case 'isZero':
      return 0;
    case 'nonNegative':
      return g.b + 1;
    case 'requantize':
      return g.k + g.n;
    case 'requantizeRelu':
      return g.k + g.m + 1;
    case 'argmax':
      return g.b; // n decompositions of b bits each; the widest is b
    case 'segment':
      return g.b; // two decompositions of b bits
    case 'divide':
      return Math.max(g.sign === 0 ? g.b + 1 : 0, g.bd, g.bq);
    case 'modulo':
      return Math.max(g.signNum === 0 ? g.bn + 1 : 0, g.signDen === 0 ? g.bdn + 1 : 0, g.bd, g.bq);
  }
}

/** Non-linear constraints a gadget costs (linear ones are removed by circom's --O2). */
export function gadgetConstraints(g: Gadget): number {
  switch (g.kind) {
    case 'requantizeRelu':
      return gadgetBits(g) + 1;
    case 'argmax':
      return g.n * (g.b + 2); // per candidate: a boolean, a product, b bits
    case 'isZero':
      return 2; // the inverse's product and the output's
    case 'segment':
      return segmentConstraints(g.n, g.b, g.sameSlope);
    case 'modulo': {
      // The divisor's sign bits and |d|; the result's sign (fmod: the dividend's) and the products s·num, s·m; q·|d|.
      const resultSign = g.fmod ? g.signNum : g.signDen;
      return (g.signDen === 0 ? g.bdn + 2 : 0) + (g.fmod && g.signNum === 0 ? g.bn + 1 : 0) + (resultSign === 0 ? 2 : 0) + (g.constantDivisor ? 0 : 1) + 2 * g.bd + g.bq;
    }
    case 'divide':
      // Sign 0: the sign's b + 1 bits, |d| = s·d, and s·num unless num is a constant.
      return (g.sign === 0 ? g.b + 2 + (g.constantNumerator ? 0 : 1) : 0) + 1 + 2 * g.bd + g.bq;
    default:
      return gadgetBits(g);
  }
}

/**
 * An ArgMax row: the output is an index in [0, n), and the b of its dominance checks must hold
 * max(x) − x[i] for every candidate: the span between the largest upper and the smallest lower bound.
 */
function argmaxGadget(row: Row, bounds: Interval[][], selectLast: boolean, where: string): { gadget: Gadget; out: Interval } {
  const n = row.terms.length;
  if (n === 0 || row.bias !== 0n || row.products.length > 0 || row.terms.some(([, , c]) => c !== 1n)) {
    throw new ZkmlError('INTERNAL', `${where}: an argmax row must list its candidates with coefficient 1`);
  }
  if (n === 1) return { gadget: { kind: 'zero' }, out: { lo: 0n, hi: 0n } };
  let lo = bounds[row.terms[0][0]][row.terms[0][1]].lo;
  let hi = bounds[row.terms[0][0]][row.terms[0][1]].hi;
  for (const [t, i] of row.terms) {
    const x = bounds[t][i];
    if (x.lo < lo) lo = x.lo;
    if (x.hi > hi) hi = x.hi;
  }
  const b = bitsForSpan(hi - lo);
  if (b > MAX_DECOMPOSITION_BITS)
    throw new ZkmlError('MODEL_TOO_LARGE', `${where}: argmax inputs span more than ${MAX_DECOMPOSITION_BITS} bits`, { count: b, limit: MAX_DECOMPOSITION_BITS, unit: 'bits' });
  return { gadget: { kind: 'argmax', n, b, last: selectLast }, out: { lo: 0n, hi: BigInt(n - 1) } };
}

/**
 * A test layer's row: the bounds may decide the test (a constant 0 or 1, no constraint); else
 * acc ≥ 0 needs the smallest b with −2^b ≤ acc < 2^b (b + 1 bits), and acc = 0 the inverse trick.
 */
export function compareGadget(test: CompareTest, acc: Interval, where: string): { gadget: Gadget; out: Interval } {
  const bit = { lo: 0n, hi: 1n };
  if (test === 'zero') {
    if (acc.lo > 0n || acc.hi < 0n) return { gadget: { kind: 'zero' }, out: { lo: 0n, hi: 0n } };
    if (acc.lo === 0n && acc.hi === 0n) return { gadget: { kind: 'one' }, out: { lo: 1n, hi: 1n } };
    const limit = 1n << BigInt(MAX_MAGNITUDE_BITS);
    if (magnitude(acc.lo) >= limit || magnitude(acc.hi) >= limit) {
      throw new ZkmlError('MODEL_TOO_LARGE', `${where}: values need more than ${MAX_MAGNITUDE_BITS} bits; lower the weight or activation bits`, { limit: MAX_MAGNITUDE_BITS, unit: 'bits' });
    }
    return { gadget: { kind: 'isZero' }, out: bit };
  }
  if (acc.lo >= 0n) return { gadget: { kind: 'one' }, out: { lo: 1n, hi: 1n } };
  if (acc.hi < 0n) return { gadget: { kind: 'zero' }, out: { lo: 0n, hi: 0n } };
  const b = signedMagnitudeBits(acc.lo, acc.hi);
  if (b + 1 > MAX_DECOMPOSITION_BITS) {
    throw new ZkmlError('MODEL_TOO_LARGE', `${where}: a comparison of ${b + 1} bits exceeds ${MAX_DECOMPOSITION_BITS}`, { count: b + 1, limit: MAX_DECOMPOSITION_BITS, unit: 'bits' });
  }
  return { gadget: { kind: 'nonNegative', b }, out: bit };
}

/**
 * Segment(n, b): n booleans (the last is fixed by their sum for n = 1), two b-bit checks, one product
 * (none when every segment has the same slope: the slope is then the constant Σ sel·β = β).
 */
export function segmentConstraints(n: number, b: number, sameSlope = false): number {
  return (n > 1 ? n : 0) + 2 * b + (sameSlope ? 0 : 1);
}

/**
 * A segment row: its input's bounds must lie inside the table (the circuit has no witness
 * outside it), b holds the widest segment, and the output ranges over each line at the ends of the
 * part of its segment the input can reach (a line's extremes are at its ends).
 */
function segmentGadget(row: Row, bounds: Interval[][], table: SegmentTable, where: string): { gadget: Gadget; out: Interval } {
  const n = table.lo.length;
  if (row.terms.length !== 1 || row.terms[0][2] !== 1n || row.bias !== 0n || row.products.length > 0 || n === 0) {
    throw new ZkmlError('INTERNAL', `${where}: a segment row must read its input with coefficient 1`);
  }
  const x = bounds[row.terms[0][0]][row.terms[0][1]];
  if (!table.restrict && (x.lo < table.lo[0] || x.hi > table.hi[n - 1])) throw new ZkmlError('INTERNAL', `${where}: the input's range [${x.lo}, ${x.hi}] leaves the segments`);
  let widest = 0n;
  let lo: bigint | undefined;
  let hi: bigint | undefined;
  for (let j = 0; j < n; j++) {
    if (table.hi[j] < table.lo[j] || (j > 0 && table.lo[j] !== table.hi[j - 1] + 1n)) throw new ZkmlError('INTERNAL', `${where}: segments must be consecutive`);
    if (table.hi[j] - table.lo[j] > widest) widest = table.hi[j] - table.lo[j];
    const a = table.lo[j] > x.lo ? table.lo[j] : x.lo;
    const b = table.hi[j] < x.hi ? table.hi[j] : x.hi;
    if (a > b) continue;
    for (const v of [table.alpha[j] + table.beta[j] * a, table.alpha[j] + table.beta[j] * b]) {
      if (lo === undefined || v < lo) lo = v;
      if (hi === undefined || v > hi) hi = v;
    }
  }
  if (lo === undefined || hi === undefined) throw new ZkmlError('INTERNAL', `${where}: the input's range [${x.lo}, ${x.hi}] misses every segment`);
  const out = { lo, hi };
  const limit = 1n << BigInt(MAX_MAGNITUDE_BITS);
  if (magnitude(out.lo) >= limit || magnitude(out.hi) >= limit)
    throw new ZkmlError('MODEL_TOO_LARGE', `${where}: values need more than ${MAX_MAGNITUDE_BITS} bits`, { limit: MAX_MAGNITUDE_BITS, unit: 'bits' });
  const sameSlope = table.beta.every((v) => v === table.beta[0]);
  return { gadget: { kind: 'segment', n, b: bitsForSpan(widest), ...(sameSlope ? { sameSlope: true as const } : {}) }, out };
}

/** The divisor term's interval: coef · x. */
export function divisorInterval(term: Term, bounds: Interval[][]): Interval {
  return mulInterval(bounds[term[0]][term[1]], { lo: term[2], hi: term[2] });
}

/**
 * A quotient row: the divisor's nonzero values are [lo, −1] ∪ [1, hi] (0 has no witness), and the
 * rounded quotient is monotone in the real one, whose extremes over a box of fixed divisor sign are
 * at its corners. The divisor's sign decides whether the circuit needs a sign bit.
 */
function divideGadget(row: Row, acc: Interval, divisor: Interval, where: string): { gadget: Gadget; out: Interval } {
  const ds = [divisor.lo, divisor.hi, ...(divisor.lo <= -1n && divisor.hi >= -1n ? [-1n] : []), ...(divisor.lo <= 1n && divisor.hi >= 1n ? [1n] : [])].filter((d) => d !== 0n);
  if (ds.length === 0) throw new ZkmlError('FUNCTION_UNBOUNDED', `${where}: the divisor is always 0`);
  const qs = ds.flatMap((d) => [divideRound(acc.lo, d), divideRound(acc.hi, d)]);
  const out = { lo: qs.reduce((a, b) => (b < a ? b : a)), hi: qs.reduce((a, b) => (b > a ? b : a)) };
  const maxDen = magnitude(divisor.lo) > magnitude(divisor.hi) ? magnitude(divisor.lo) : magnitude(divisor.hi);
  const maxNum = magnitude(acc.lo) > magnitude(acc.hi) ? magnitude(acc.lo) : magnitude(acc.hi);
  const maxQ = magnitude(out.lo) > magnitude(out.hi) ? magnitude(out.lo) : magnitude(out.hi);
  const limit = 1n << BigInt(MAX_MAGNITUDE_BITS);
  if (2n * maxNum + maxDen >= limit || 2n * maxQ * maxDen >= limit) {
    throw new ZkmlError('MODEL_TOO_LARGE', `${where}: values need more than ${MAX_MAGNITUDE_BITS} bits; lower the weight or activation bits`, { limit: MAX_MAGNITUDE_BITS, unit: 'bits' });
  }
  const sign = divisor.lo >= 0n ? 1 : divisor.hi <= 0n ? -1 : 0;
  const gadget: Gadget = {
    kind: 'divide',
    sign,
    b: signedMagnitudeBits(divisor.lo, divisor.hi),
    bd: bitsForSpan(2n * maxDen - 1n),
    bq: out.hi === out.lo ? 0 : bitsForSpan(out.hi - out.lo),
    qlo: out.lo,
    constantNumerator: row.terms.length === 0 && row.products.length === 0 && !row.paramTerms?.length,
  };
  if (gadgetBits(gadget) > MAX_DECOMPOSITION_BITS - 1) {
    throw new ZkmlError('MODEL_TOO_LARGE', `${where}: a division needs ${gadgetBits(gadget)}-bit checks, more than ${MAX_DECOMPOSITION_BITS - 1}`, {
      count: gadgetBits(gadget),
      limit: MAX_DECOMPOSITION_BITS - 1,
      unit: 'bits',
    });
  }
  return { gadget, out };
}

const signOf = (x: Interval): -1 | 0 | 1 => (x.lo >= 0n ? 1 : x.hi <= 0n ? -1 : 0);
const maxMagnitude = (x: Interval): bigint => (magnitude(x.lo) > magnitude(x.hi) ? magnitude(x.lo) : magnitude(x.hi));

/**
 * A remainder row: |r| < |d| and r takes the sign of the dividend (fmod) or of the divisor; with
 * fmod also |r| <= |n|. The quotient floor(s·n / |d|) lies in [−max|n|, max|n|] (|d| >= 1).
 */
function moduloGadget(row: Row, acc: Interval, divisor: Interval, modulo: NonNullable<Layer['modulo']>, where: string): { gadget: Gadget; out: Interval } {
  if (row.terms.length === 0 && row.products.length === 0) throw new ZkmlError('INTERNAL', `${where}: a remainder row needs a computed dividend`);
  const fmod = modulo.fmod;
  const maxDen = maxMagnitude(divisor);
  const maxNum = maxMagnitude(acc);
  if (maxDen === 0n) throw new ZkmlError('FUNCTION_UNBOUNDED', `${where}: the divisor is always 0`);
  const limit = 1n << BigInt(MAX_MAGNITUDE_BITS);
  if (maxNum >= limit || maxNum * maxDen >= limit) {
    throw new ZkmlError('MODEL_TOO_LARGE', `${where}: values need more than ${MAX_MAGNITUDE_BITS} bits; lower the weight or activation bits`, { limit: MAX_MAGNITUDE_BITS, unit: 'bits' });
  }
  const top = maxDen - 1n;
  const sign = fmod ? acc : divisor;
  let out = { lo: sign.lo < 0n ? -top : 0n, hi: sign.hi > 0n ? top : 0n };
  if (fmod) out = { lo: out.lo > acc.lo ? out.lo : acc.lo < 0n ? acc.lo : 0n, hi: out.hi < acc.hi ? out.hi : acc.hi > 0n ? acc.hi : 0n };
  const qlo = fmod ? 0n : -maxNum;
  const gadget: Gadget = {
    kind: 'modulo',
    fmod,
    signNum: signOf(acc),
    bn: signedMagnitudeBits(acc.lo, acc.hi),
    signDen: signOf(divisor),
    bdn: signedMagnitudeBits(divisor.lo, divisor.hi),
    bd: bitsForSpan(maxDen - 1n),
    bq: bitsForSpan(maxNum - qlo),
    qlo,
    constantDivisor: modulo.constantDivisor === true && divisor.lo === divisor.hi,
  };
  if (gadgetBits(gadget) > MAX_DECOMPOSITION_BITS - 1) {
    throw new ZkmlError('MODEL_TOO_LARGE', `${where}: a remainder needs ${gadgetBits(gadget)}-bit checks`, { count: gadgetBits(gadget), limit: MAX_DECOMPOSITION_BITS - 1, unit: 'bits' });
  }
  return { gadget, out };
}

/** Bounds of a layer's outputs, choosing each element's gadget on the way. */
export function analyzeLayer(layer: Layer, bounds: Interval[][], params: Interval[] = []): Interval[] {
  const gadgets: Gadget[] = [];
  const out = layer.rows.map((row, o) => {
    const where = `node '${layer.node}' output ${o}`;
    const r = layer.argmax
      ? argmaxGadget(row, bounds, layer.argmax.selectLast, where)
      : layer.compare
        ? compareGadget(layer.compare, accumulatorInterval(row, bounds, params), where)
        : layer.segments
          ? segmentGadget(row, bounds, layer.segments, where)
          : layer.modulo
            ? moduloGadget(row, accumulatorInterval(row, bounds, params), divisorInterval(layer.modulo.divisors[o], bounds), layer.modulo, where)
            : layer.divide
              ? divideGadget(row, accumulatorInterval(row, bounds, params), divisorInterval(layer.divide.divisors[o], bounds), where)
              : chooseGadget(accumulatorInterval(row, bounds, params), layer.shift, layer.relu, where);
    gadgets.push(r.gadget);
    return r.out;
  });
  layer.gadgets = gadgets;
  return out;
}
