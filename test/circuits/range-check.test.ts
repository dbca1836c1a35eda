/**
 * RangeCheck(n, lo): a witness exists iff lo <= in < lo + 2^n (n = 0: iff in = lo).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  acceptedMutations,
  applyMutation,
  bitsOf,
  buildTestCircuit,
  compensatedBitFlips,
  disposeAll,
  mainOf,
  Mutation,
  P,
  seededRng,
  semanticMutation,
  singleWireMutations,
  TestCircuit,
  witnessFailed,
} from '../helpers/circuit-harness';

interface Case {
  n: number;
  lo: bigint;
  /** Pinned r1cs size with `in` private (O2 folds the linear sum into a bit): n. */
  constraints: number;
  /** Pinned size with `in` public, as the tests compile it. */
  publicConstraints: number;
}

const CASES: Case[] = [
  // n = 0 and in public: the constraint in === lo stays (1 linear constraint). With in private O2
  // substitutes the constant lo for in everywhere, which is sound, and no constraint is left.
  { n: 0, lo: -3n, constraints: 0, publicConstraints: 1 },
  { n: 0, lo: 7n, constraints: 0, publicConstraints: 1 },
  { n: 1, lo: -1n, constraints: 1, publicConstraints: 1 },
  { n: 3, lo: 1000n, constraints: 3, publicConstraints: 3 },
  { n: 8, lo: -100n, constraints: 8, publicConstraints: 8 },
];

for (const { n, lo, constraints, publicConstraints } of CASES) {
  const instance = `RangeCheck(${n}, ${lo})`;
  const hi = lo + (1n << BigInt(n)) - 1n; // inclusive
  const bit = (i: number) => `main.b.bits[${i}]`;

  describe(instance, () => {
    const building = buildTestCircuit(mainOf('range.circom', instance, ['in']));
    const buildingPrivate = buildTestCircuit(mainOf('range.circom', instance));
    let c: TestCircuit;
    before(async () => {
      c = await building;
    });
    after(() => disposeAll(building, buildingPrivate));

    it(`accepts every in from ${lo} to ${hi}, decomposing in - lo`, async () => {
      for (let x = lo; x <= hi; x++) {
        const w = await c.calc({ in: x });
        assert.deepEqual(c.check(w), { ok: true }, `in = ${x}`);
        // The bits O2 kept hold the digits of in - lo (an eliminated bit has no wire to read).
        bitsOf(x - lo, n).forEach((v, i) => {
          const idx = c.signals.get(bit(i)) ?? -1;
          if (idx >= 0) assert.equal(w[idx], v, `in = ${x}, bit ${i}`);
        });
      }
    });

    it('has no witness just outside [lo, lo + 2^n) or far outside it', async () => {
      const span = 1n << BigInt(n);
      for (const x of [lo - 1n, hi + 1n, lo - span, hi + span, hi + (1n << 200n), lo + P - 1n, (P - 1n) / 2n]) {
        await assert.rejects(c.calc({ in: x }), witnessFailed, `in = ${x}`);
      }
    });

    it('rejects every mutation of a valid witness, and a changed input under the same bits', async () => {
      const rng = seededRng(7000 + n);
      for (const x of new Set([lo, hi, rng.int(lo, hi)])) {
        const w = await c.calc({ in: x });
        const bits = bitsOf(x - lo, n);
        const mutations: Mutation[] = [
          ...singleWireMutations(c, w),
          ...compensatedBitFlips(bits).map(({ i, j, bits: b }) => semanticMutation(c, `bit ${i} flipped, bit ${j} compensating`, new Map(b.map((v, t) => [bit(t), v])))),
        ];
        assert.deepEqual(acceptedMutations(c, w, mutations), [], `in = ${x}`);

        // The statement itself: in must be bound. With the other wires of x kept, an out-of-range in is
        // rejected; so is a neighbouring in-range one when some bit kept a wire (for n = 1 O2 folds the
        // only bit into in, and then in ± 1 inside the range is simply another valid statement).
        const inIdx = c.signalIndex('main.in');
        const bitWires = [...Array(n).keys()].filter((i) => (c.signals.get(bit(i)) ?? -1) >= 0);
        const neighbours = bitWires.length > 0 ? [x + 1n, x - 1n].filter((v) => v >= lo && v <= hi) : [];
        for (const other of [lo - 1n, hi + 1n, x + P / 2n, ...neighbours]) {
          const forged = applyMutation(w, { label: `in = ${other}`, edits: [[inIdx, other]] });
          assert.equal(c.check(forged).ok, false, `in ${x} → ${other} with the other wires of ${x}`);
        }
      }
    });

    it(`costs n = ${constraints} constraints`, async () => {
      assert.equal(constraints, n);
      assert.equal((await buildingPrivate).info.nConstraints, constraints);
      assert.equal(c.info.nConstraints, publicConstraints);
    });
  });
}
