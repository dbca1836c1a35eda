/**
 * Requantize(k, n, lo): out = roundShift(in, k), with lo <= out < lo + 2^n enforced by k + n bits.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { roundShift } from '../../src/quantize/fixed-point';
import {
  acceptedMutations,
  bitsOf,
  buildTestCircuit,
  compensatedBitFlips,
  disposeAll,
  shiftGoldenInputs,
  mainOf,
  Mutation,
  outputMutations,
  P,
  seededRng,
  semanticMutation,
  singleWireMutations,
  TestCircuit,
  toSigned,
  witnessFailed,
} from '../helpers/circuit-harness';

interface Case {
  k: number;
  n: number;
  lo: bigint;
  /** Pinned r1cs size when `in` is a private input (O2 folds it like any intermediate): k + n. */
  constraints: number;
  /** Pinned size with `in` public, as the tests below compile it (see the k = 0 note). */
  publicConstraints: number;
}

const CASES: Case[] = [
  // k = 0 with both in and out public: the bits imply the linear relation out = in between two
  // public signals, which O2 cannot fold away, so one linear constraint remains.
  { k: 0, n: 6, lo: -32n, constraints: 6, publicConstraints: 7 },
  { k: 1, n: 3, lo: -4n, constraints: 4, publicConstraints: 4 },
  { k: 4, n: 6, lo: -32n, constraints: 10, publicConstraints: 10 },
  { k: 7, n: 10, lo: -300n, constraints: 17, publicConstraints: 17 },
  { k: 3, n: 4, lo: 5n, constraints: 7, publicConstraints: 7 },
];

for (const { k, n, lo, constraints, publicConstraints } of CASES) {
  const instance = `Requantize(${k}, ${n}, ${lo})`;
  const d = 1n << BigInt(k);
  const h = k > 0 ? d / 2n : 0n;
  // in ranges over exactly the x with lo <= roundShift(x, k) < lo + 2^n.
  const xMin = lo * d - h;
  const xMax = (lo + (1n << BigInt(n))) * d - h - 1n;
  const names = { out: 'main.out', bit: (i: number) => `main.b.bits[${i}]` };

  describe(instance, () => {
    // Compiles start now, in parallel; `in` public so mutations cannot move it (see inputWires).
    const building = buildTestCircuit(mainOf('requantize.circom', instance, ['in']));
    const buildingPrivate = buildTestCircuit(mainOf('requantize.circom', instance));
    let c: TestCircuit;
    before(async () => {
      c = await building;
    });
    after(() => disposeAll(building, buildingPrivate));

    it('outputs roundShift(in, k) exactly on edge and seeded random inputs', async () => {
      const outIdx = c.signalIndex(names.out);
      const xs = shiftGoldenInputs(xMin, xMax, k, 1000 + k);
      for (const x of xs) {
        const w = await c.calc({ in: x });
        assert.equal(toSigned(w[outIdx]), roundShift(x, k), `in = ${x}`);
        assert.deepEqual(c.check(w), { ok: true }, `in = ${x}`);
      }
    });

    it('has no witness when the quotient leaves [lo, lo + 2^n)', async () => {
      for (const x of [xMin - 1n, xMax + 1n, xMin - 5n * d, xMax + 5n * d, xMax + (1n << 200n), (P - 1n) / 2n]) {
        await assert.rejects(c.calc({ in: x }), witnessFailed, `in = ${x}`);
      }
    });

    it('rejects every mutation of a valid witness with the input held fixed', async () => {
      const rng = seededRng(2000 + k);
      const xs = [xMin, xMax, 0n, -1n, rng.int(xMin, xMax), rng.int(xMin, xMax)].filter((x) => x >= xMin && x <= xMax);
      for (const x of xs) {
        const w = await c.calc({ in: x });
        const mutations: Mutation[] = [...outputMutations(c, w, names.out), ...singleWireMutations(c, w), ...bitMutations(c, x)];
        assert.deepEqual(acceptedMutations(c, w, mutations), [], `in = ${x}`);
      }
    });

    it(`costs k + n = ${constraints} constraints`, async () => {
      assert.equal(constraints, k + n);
      assert.equal((await buildingPrivate).info.nConstraints, constraints);
      assert.equal(c.info.nConstraints, publicConstraints);
    });
  });

  /** The whole template state (bits and out) with linear relations kept: only booleanity can object. */
  function bitMutations(c: TestCircuit, x: bigint): Mutation[] {
    const bits = bitsOf(x + h - lo * d, k + n);
    const state = (b: readonly bigint[]): Map<string, bigint> => {
      const m = new Map<string, bigint>();
      b.forEach((v, i) => m.set(names.bit(i), v));
      let high = 0n;
      for (let i = 0; i < n; i++) high += b[k + i] << BigInt(i);
      m.set(names.out, high + lo);
      return m;
    };
    const kind = (i: number) => (i < k ? `remainder bit ${i}` : `quotient bit ${i - k}`);
    const out = compensatedBitFlips(bits).map(({ i, j, bits: b }) => semanticMutation(c, `${kind(i)} flipped, ${kind(j)} compensating`, state(b)));
    if (k > 0) {
      // The forgery an unconstrained remainder allows: out ± 1 with the remainder moved by ∓2^k.
      const q = roundShift(x, k) - lo;
      for (const dq of [1n, -1n]) {
        if (q + dq < 0n || q + dq >= 1n << BigInt(n)) continue;
        const b = [...bits.slice(0, k), ...bitsOf(q + dq, n)];
        b[0] -= dq * d;
        out.push(semanticMutation(c, `out ${dq > 0 ? '+' : '-'} 1, remainder ${dq > 0 ? '-' : '+'} 2^k`, state(b)));
      }
    }
    return out;
  }
}
