/**
 * ArgMax(n, b, last): out = the index of the first (last = 0) or last (last = 1) largest of in[n],
 * for inputs whose spread fits b bits; a one-hot selector, one product per candidate and a b-bit
 * dominance check per candidate.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { argmax } from '../../src/quantize/reference';
import {
  acceptedMutations,
  bitsOf,
  buildTestCircuit,
  disposeAll,
  mainOf,
  mod,
  Mutation,
  outputMutations,
  seededRng,
  semanticMutation,
  singleWireMutations,
  TestCircuit,
  toSigned,
  witnessFailed,
} from '../helpers/circuit-harness';

interface Case {
  n: number;
  b: number;
  last: 0 | 1;
  /** Pinned r1cs size, `in` private or public alike: n · (b + 2). */
  constraints: number;
}

const CASES: Case[] = [
  { n: 2, b: 1, last: 0, constraints: 6 },
  { n: 5, b: 4, last: 0, constraints: 30 },
  { n: 5, b: 4, last: 1, constraints: 30 },
  { n: 10, b: 9, last: 0, constraints: 110 },
];

for (const { n, b, last, constraints } of CASES) {
  const instance = `ArgMax(${n}, ${b}, ${last})`;
  // Inputs in [lo, lo + 2^b - 1]: every difference fits b bits, and the range straddles zero.
  const lo = -(1n << BigInt(b - 1));
  const hi = lo + (1n << BigInt(b)) - 1n;
  const signal = {
    sel: (i: number) => `main.sel[${i}]`,
    picked: (i: number) => `main.picked[${i}]`,
    bit: (i: number, k: number) => `main.d[${i}].bits[${k}]`,
  };

  /** Golden vectors: ties everywhere, the range ends, the maximum at each end, and seeded random ones. */
  function goldenInputs(seed: number): bigint[][] {
    const rng = seededRng(seed);
    const out: bigint[][] = [
      Array(n).fill(0n),
      Array(n).fill(lo),
      Array(n).fill(hi),
      Array.from({ length: n }, (_, i) => (i === 0 ? hi : lo)),
      Array.from({ length: n }, (_, i) => (i === n - 1 ? hi : lo)),
      Array.from({ length: n }, (_, i) => (i % 2 === 0 ? hi : lo)), // ties between the even positions
      Array.from({ length: n }, (_, i) => (i === 0 || i === n - 1 ? -1n : -2n)), // a negative maximum, tied
    ];
    for (let s = 0; s < 30; s++) out.push(Array.from({ length: n }, () => rng.int(lo, hi)));
    // Small ranges make ties frequent.
    for (let s = 0; s < 10; s++) out.push(Array.from({ length: n }, () => rng.int(-1n, 1n)));
    return out;
  }

  describe(instance, () => {
    // Compiles start now, in parallel; `in` public so mutations cannot move it (see inputWires).
    const building = buildTestCircuit(mainOf('argmax.circom', instance, ['in']));
    const buildingPrivate = buildTestCircuit(mainOf('argmax.circom', instance));
    let c: TestCircuit;
    before(async () => {
      c = await building;
    });
    after(() => disposeAll(building, buildingPrivate));

    it(`outputs the index of the ${last ? 'last' : 'first'} largest input, as the integer reference does`, async () => {
      const outIdx = c.signalIndex('main.out');
      let tied = 0;
      for (const xs of goldenInputs(500 + 10 * n + last)) {
        const w = await c.calc({ in: xs });
        const want = argmax(xs, last === 1);
        assert.equal(toSigned(w[outIdx]), want, `in = [${xs}]`);
        assert.deepEqual(c.check(w), { ok: true }, `in = [${xs}]`);
        const top = xs.reduce((a, x) => (x > a ? x : a));
        if (xs.filter((x) => x === top).length > 1) tied++;
      }
      assert.ok(tied >= 5, 'ties are covered');
      // Fixed vectors, independent of the reference implementation.
      const w = await c.calc({ in: Array.from({ length: n }, (_, i) => (i === 1 || i === n - 1 ? 1n : 0n)) });
      assert.equal(toSigned(w[outIdx]), BigInt(last ? n - 1 : 1));
    });

    it('has no witness when the inputs spread beyond b bits', async () => {
      // max − x = 2^b + 1: beyond b bits even where the check subtracts 1 (a strictly smaller candidate).
      for (const [i, j] of [
        [0, n - 1],
        [n - 1, 0],
      ]) {
        const xs = Array(n).fill(0n);
        xs[i] = lo - 2n;
        xs[j] = hi;
        await assert.rejects(c.calc({ in: xs }), witnessFailed, `in = [${xs}]`);
      }
    });

    it('rejects every mutation of a valid witness with the inputs held fixed, including any other index', async () => {
      const rng = seededRng(600 + 10 * n + last);
      const vectors = [
        Array.from({ length: n }, () => rng.int(lo, hi)),
        Array.from({ length: n }, (_, i) => (i % 2 === 0 ? hi : lo)),
        Array(n).fill(0n),
        Array.from({ length: n }, () => rng.int(-1n, 1n)),
      ];
      for (const xs of vectors) {
        const w = await c.calc({ in: xs });
        const mutations: Mutation[] = [...outputMutations(c, w, 'main.out'), ...singleWireMutations(c, w), ...otherIndexForgeries(c, xs)];
        assert.deepEqual(acceptedMutations(c, w, mutations), [], `in = [${xs}]`);
      }
    });

    it(`costs n · (b + 2) = ${constraints} constraints`, async () => {
      assert.equal(constraints, n * (b + 2));
      assert.equal((await buildingPrivate).info.nConstraints, constraints);
      assert.equal(c.info.nConstraints, constraints);
    });
  });

  /**
   * For every index j other than the right one: the whole state of a proof claiming out = j (one-hot
   * selector on j, products, every linear relation kept). A dominance difference that is negative
   * cannot be b bits, so its bits are the low bits of it with bit 0 absorbing the rest: only the
   * booleanity constraints can object, and they must.
   */
  function otherIndexForgeries(c: TestCircuit, xs: bigint[]): Mutation[] {
    const right = Number(argmax(xs, last === 1));
    const out: Mutation[] = [];
    for (let j = 0; j < n; j++) {
      if (j === right) continue;
      const s = new Map<string, bigint>();
      s.set('main.out', BigInt(j));
      for (let i = 0; i < n; i++) {
        s.set(signal.sel(i), i === j ? 1n : 0n);
        s.set(signal.picked(i), i === j ? xs[i] : 0n);
        const strict = last ? i > j : i < j;
        const d = xs[j] - xs[i] - (strict ? 1n : 0n);
        const bits = bitsOf(((d % (1n << BigInt(b))) + (1n << BigInt(b))) % (1n << BigInt(b)), b);
        bits[0] = mod(bits[0] + d - bits.reduce((a, v, k) => a + (v << BigInt(k)), 0n));
        bits.forEach((v, k) => s.set(signal.bit(i, k), v));
      }
      out.push(semanticMutation(c, `out = ${j} instead of ${right}`, s));
    }
    return out;
  }
}
