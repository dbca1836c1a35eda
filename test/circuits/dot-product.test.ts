/**
 * DotProduct(n): out = sum(a[i] * b[i]) exactly (in the field), one constraint per product.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  acceptedMutations,
  buildTestCircuit,
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
  toSigned,
  witnessFailed,
} from '../helpers/circuit-harness';

const CASES = [1, 4];

for (const n of CASES) {
  const instance = `DotProduct(${n})`;
  const product = (i: number) => `main.p[${i}]`;
  const dot = (a: bigint[], b: bigint[]) => a.reduce((s, ai, i) => s + ai * b[i], 0n);

  describe(instance, () => {
    const building = buildTestCircuit(mainOf('product.circom', instance, ['a', 'b']));
    const buildingPrivate = buildTestCircuit(mainOf('product.circom', instance));
    let c: TestCircuit;
    before(async () => {
      c = await building;
    });
    after(() => disposeAll(building, buildingPrivate));

    const vectors = (): Array<[bigint[], bigint[]]> => {
      const rng = seededRng(8000 + n);
      const fill = (f: (i: number) => bigint) => Array.from({ length: n }, (_, i) => f(i));
      const big = 1n << 100n;
      const out: Array<[bigint[], bigint[]]> = [
        [fill(() => 0n), fill(() => 0n)],
        [fill(() => 1n), fill(() => -1n)],
        [fill(() => -7n), fill(() => -9n)],
        [fill(() => big), fill((i) => (i % 2 === 0 ? big : -big))],
        [fill(() => -big), fill(() => big - 1n)],
      ];
      for (let t = 0; t < 25; t++) {
        const r = (bits: bigint) => fill(() => rng.int(-(1n << bits), (1n << bits) - 1n));
        out.push([r(8n), r(8n)], [r(60n), r(60n)]);
      }
      return out;
    };

    it('outputs sum(a[i] * b[i]) exactly, for mixed signs and 100-bit operands', async () => {
      const outIdx = c.signalIndex('main.out');
      for (const [a, b] of vectors()) {
        const w = await c.calc({ a, b });
        assert.equal(toSigned(w[outIdx]), dot(a, b), `a = ${a}, b = ${b}`);
        assert.deepEqual(c.check(w), { ok: true });
      }
    });

    it('refuses malformed inputs (there is no range precondition: every field element is valid)', async () => {
      const ones = Array.from({ length: n }, () => 1n);
      await assert.rejects(c.calc({ a: ones }), witnessFailed, 'b missing');
      await assert.rejects(c.calc({ a: [...ones, 1n], b: ones }), witnessFailed, 'a too long');
    });

    it('rejects every mutation of a valid witness with the inputs held fixed', async () => {
      for (const [a, b] of vectors().slice(0, 8)) {
        const w = await c.calc({ a, b });
        const products = a.map((ai, i) => mod(ai * b[i]));
        const mutations: Mutation[] = [...outputMutations(c, w, 'main.out'), ...singleWireMutations(c, w)];
        // Products moved by ±delta in pairs: the sum (and out) stays right, only the products object.
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < n; j++) {
            if (i === j) continue;
            for (const delta of [1n, P - 1n, 1n << 64n]) {
              const moved = products.slice();
              moved[i] += delta;
              moved[j] -= delta;
              mutations.push(semanticMutation(c, `p[${i}] + ${delta}, p[${j}] - ${delta}`, new Map(moved.map((v, t) => [product(t), v]))));
            }
          }
        }
        assert.deepEqual(acceptedMutations(c, w, mutations), [], `a = ${a}, b = ${b}`);
      }
    });

    it(`costs n = ${n} constraints`, async () => {
      assert.equal((await buildingPrivate).info.nConstraints, n);
      assert.equal(c.info.nConstraints, n);
    });
  });
}
