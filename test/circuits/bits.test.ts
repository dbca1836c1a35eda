/**
 * Bits(n): the unique little-endian decomposition of in, 0 <= in < 2^n, n <= 252 (no aliasing mod p).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  acceptedMutations,
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

const CASES = [1, 8, 252];

for (const n of CASES) {
  const instance = `Bits(${n})`;
  const top = 1n << BigInt(n);
  const bit = (i: number) => `main.bits[${i}]`;

  describe(instance, () => {
    const building = buildTestCircuit(mainOf('bits.circom', instance, ['in']));
    const buildingPrivate = buildTestCircuit(mainOf('bits.circom', instance));
    let c: TestCircuit;
    before(async () => {
      c = await building;
    });
    after(() => disposeAll(building, buildingPrivate));

    it('outputs the binary digits of in, from 0 to 2^n - 1', async () => {
      const rng = seededRng(5000 + n);
      const xs = new Set([0n, 1n, top - 1n, top - 2n, top / 2n, top / 2n - 1n]);
      for (let i = 0; i < 30; i++) xs.add(rng.int(0n, top - 1n));
      for (const x of [...xs].filter((v) => v >= 0n && v < top)) {
        const w = await c.calc({ in: x });
        const got = Array.from({ length: n }, (_, i) => w[c.signalIndex(bit(i))]);
        assert.deepEqual(got, bitsOf(x, n), `in = ${x}`);
        assert.deepEqual(c.check(w), { ok: true }, `in = ${x}`);
      }
    });

    it('has no witness for in < 0 or in >= 2^n, including values that alias mod p', async () => {
      // p - 1 is -1; p - 2^n + 1 and in + p would alias under a full-width (254-bit) decomposition.
      for (const x of [top, top + 1n, 2n * top, -1n, -top, P - 1n, P - top + 1n, (P - 1n) / 2n]) {
        await assert.rejects(c.calc({ in: x }), witnessFailed, `in = ${x}`);
      }
    });

    it('rejects every mutation of a valid witness with the input held fixed', async () => {
      const rng = seededRng(6000 + n);
      const xs = new Set([0n, top - 1n, rng.int(0n, top - 1n)]);
      for (const x of xs) {
        const w = await c.calc({ in: x });
        const bits = bitsOf(x, n);
        // Every compensating partner for small n; neighbours and the mirror bit for n = 252.
        const partners = n <= 16 ? undefined : (i: number) => [i - 1, i + 1, n - 1 - i];
        const mutations: Mutation[] = [
          ...singleWireMutations(c, w),
          ...compensatedBitFlips(bits, partners).map(({ i, j, bits: b }) => semanticMutation(c, `bit ${i} flipped, bit ${j} compensating`, new Map(b.map((v, t) => [bit(t), v])))),
        ];
        assert.deepEqual(acceptedMutations(c, w, mutations), [], `in = ${x}`);
      }
    });

    it(`costs n = ${n} constraints (n + 1 when in and every bit are public)`, async () => {
      assert.equal((await buildingPrivate).info.nConstraints, n);
      // With in public and the bits outputs, sum(bits * 2^i) === in joins only public signals: O2 keeps it.
      assert.equal(c.info.nConstraints, n + 1);
    });
  });
}
