/**
 * circuits/compare.circom: NonNegative(b) (out = [in ≥ 0] for −2^b ≤ in < 2^b, b + 1 constraints)
 * and EqualsZero() (out = [in = 0] by the inverse trick, 2 constraints). Golden vectors against the
 * integer reference (compareTest), inputs outside the precondition that must fail, every mutation of
 * a valid witness rejected (including the other outcome with the bits recomputed), pinned counts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { compareTest } from '../../src/quantize/reference';
import {
  acceptedMutations,
  bitsOf,
  buildTestCircuit,
  changesWitness,
  compensatedBitFlips,
  disposeAll,
  mainOf,
  mod,
  Mutation,
  outputMutations,
  P,
  seededRng,
  semanticMutation,
  singleWireMutations,
  TestCircuit,
  witnessFailed,
} from '../helpers/circuit-harness';

for (const b of [0, 1, 5, 16]) {
  const instance = `NonNegative(${b})`;
  const lo = -(1n << BigInt(b));
  const hi = (1n << BigInt(b)) - 1n;
  describe(instance, () => {
    const building = buildTestCircuit(mainOf('compare.circom', instance, ['in']));
    const buildingPrivate = buildTestCircuit(mainOf('compare.circom', instance));
    let c: TestCircuit;
    before(async () => {
      c = await building;
    });
    after(() => disposeAll(building, buildingPrivate));

    const golden = (): bigint[] => {
      const rng = seededRng(70 + b);
      const xs = new Set<bigint>([lo, lo + 1n, -1n, 0n, hi - 1n, hi].filter((x) => x >= lo && x <= hi));
      for (let i = 0; i < 20; i++) xs.add(rng.int(lo, hi));
      return [...xs];
    };

    it('outputs 1 exactly when in ≥ 0, as the integer reference does, over the whole range', async () => {
      const outIdx = c.signalIndex('main.out');
      for (const x of golden()) {
        const w = await c.calc({ in: x });
        assert.equal(w[outIdx], compareTest('nonNegative', x), `in = ${x}`);
        assert.equal(w[outIdx], x >= 0n ? 1n : 0n);
        assert.deepEqual(c.check(w), { ok: true });
      }
    });

    it('has no witness outside −2^b ≤ in < 2^b', async () => {
      for (const x of [lo - 1n, hi + 1n, lo - 1000n, hi + 1000n, P - 1n - (1n << 200n)]) {
        await assert.rejects(c.calc({ in: x }), witnessFailed, `in = ${x}`);
      }
    });

    it('rejects every mutation of a valid witness, the other outcome with its bits recomputed included', async () => {
      for (const x of golden().slice(0, 8)) {
        const w = await c.calc({ in: x });
        const mutations: Mutation[] = [...outputMutations(c, w, 'main.out'), ...singleWireMutations(c, w)];
        // The forged outcome: the top bit flipped, the lower bits keeping the sum (only booleanity can object).
        const bits = bitsOf(x + (1n << BigInt(b)), b + 1);
        for (const f of compensatedBitFlips(bits, (i) => (i === b ? [...Array(b).keys()] : [b]))) {
          const m = semanticMutation(c, `bit ${f.i} flipped, bit ${f.j} compensating`, new Map(f.bits.map((v, k) => [`main.bits.bits[${k}]`, v])));
          if (changesWitness(w, m)) mutations.push(m);
        }
        assert.deepEqual(acceptedMutations(c, w, mutations), [], `in = ${x}`);
      }
    });

    it(`costs b + 1 = ${b + 1} constraints`, async () => {
      assert.equal((await buildingPrivate).info.nConstraints, b + 1);
      // With b = 0 and `in` public, the one linear relation (bit = in + 1) cannot be substituted away.
      assert.equal(c.info.nConstraints, b === 0 ? 2 : b + 1);
    });
  });
}

describe('EqualsZero()', () => {
  const building = buildTestCircuit(mainOf('compare.circom', 'EqualsZero()', ['in']));
  let c: TestCircuit;
  before(async () => {
    c = await building;
  });
  after(() => disposeAll(building));
  const golden = [0n, 1n, -1n, 2n, 12345n, -(1n << 200n), 1n << 249n, P - 1n];

  it('outputs 1 exactly when in = 0, as the integer reference does', async () => {
    const outIdx = c.signalIndex('main.out');
    for (const x of golden) {
      const w = await c.calc({ in: x });
      assert.equal(w[outIdx], compareTest('zero', x >= P / 2n ? x - P : x), `in = ${x}`);
      assert.deepEqual(c.check(w), { ok: true });
    }
  });

  it('rejects every mutation: a claimed 0 for in = 0, a claimed 1 for in ≠ 0, any inverse', async () => {
    for (const x of golden) {
      const w = await c.calc({ in: x });
      const forged = semanticMutation(c, 'other outcome', new Map([['main.out', 1n - mod(w[c.signalIndex('main.out')])]]));
      const mutations = [...outputMutations(c, w, 'main.out'), ...singleWireMutations(c, w), forged];
      // For in ≠ 0 the inverse is pinned; for in = 0 it is free (any value gives out = 1): not a forgery.
      const accepted = acceptedMutations(c, w, mutations).filter((l) => !(x === 0n && l.startsWith('main.inv')));
      assert.deepEqual(accepted, [], `in = ${x}`);
    }
  });

  it('costs 2 constraints', () => {
    assert.equal(c.info.nConstraints, 2);
  });
});
