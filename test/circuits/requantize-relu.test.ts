/**
 * RequantizeRelu(k, m): out = relu(roundShift(in, k)), for -2^m <= roundShift(in, k) < 2^m,
 * with k + m + 1 bits (remainder, magnitude, sign) and one product.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { relu, roundShift } from '../../src/quantize/fixed-point';
import {
  acceptedMutations,
  bitsOf,
  buildTestCircuit,
  changesWitness,
  compensatedBitFlips,
  disposeAll,
  shiftGoldenInputs,
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

interface Case {
  k: number;
  m: number;
  /** Pinned r1cs size, `in` private or public alike: k + m + 2 (bits, the sign × magnitude product). */
  constraints: number;
}

const CASES: Case[] = [
  { k: 0, m: 5, constraints: 7 }, // plain ReLU
  { k: 0, m: 0, constraints: 2 }, // q in {-1, 0}: out is always 0
  { k: 1, m: 3, constraints: 6 },
  { k: 2, m: 0, constraints: 4 },
  { k: 4, m: 5, constraints: 11 },
];

for (const { k, m, constraints } of CASES) {
  const instance = `RequantizeRelu(${k}, ${m})`;
  const d = 1n << BigInt(k);
  const h = k > 0 ? d / 2n : 0n;
  const half = 1n << BigInt(m);
  // in ranges over exactly the x with -2^m <= roundShift(x, k) < 2^m.
  const xMin = -half * d - h;
  const xMax = half * d - h - 1n;
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

    it('outputs relu(roundShift(in, k)) exactly, for negative, zero and positive quotients', async () => {
      const outIdx = c.signalIndex(names.out);
      let negatives = 0;
      let positives = 0;
      for (const x of shiftGoldenInputs(xMin, xMax, k, 3000 + 10 * k + m)) {
        const w = await c.calc({ in: x });
        const q = roundShift(x, k);
        if (q < 0n) negatives++;
        if (q > 0n) positives++;
        assert.equal(toSigned(w[outIdx]), relu(q), `in = ${x}`);
        assert.deepEqual(c.check(w), { ok: true }, `in = ${x}`);
      }
      assert.ok(negatives > 0 && (m === 0 || positives > 0), 'both signs covered');
    });

    it('has no witness when the quotient leaves [-2^m, 2^m)', async () => {
      for (const x of [xMin - 1n, xMax + 1n, xMin - 3n * d, xMax + 3n * d, xMax + (1n << 200n), (P - 1n) / 2n]) {
        await assert.rejects(c.calc({ in: x }), witnessFailed, `in = ${x}`);
      }
    });

    it('rejects every mutation of a valid witness with the input held fixed', async () => {
      const rng = seededRng(4000 + 10 * k + m);
      const xs = new Set([xMin, xMax, 0n, -1n, 1n, -d, d, rng.int(xMin, -1n), rng.int(0n, xMax)]);
      for (const x of [...xs].filter((v) => v >= xMin && v <= xMax)) {
        const w = await c.calc({ in: x });
        const mutations: Mutation[] = [...outputMutations(c, w, names.out), ...singleWireMutations(c, w), ...bitMutations(c, w, x)];
        assert.deepEqual(acceptedMutations(c, w, mutations), [], `in = ${x}`);
      }
    });

    it(`costs k + m + 2 = ${constraints} constraints`, async () => {
      assert.equal(constraints, k + m + 2);
      assert.equal((await buildingPrivate).info.nConstraints, constraints);
      assert.equal(c.info.nConstraints, constraints);
    });
  });

  /**
   * The whole template state with every linear relation kept and the product recomputed, so only the
   * booleanity constraints can object; plus forgeries of the output that do break the product.
   */
  function bitMutations(c: TestCircuit, w: readonly bigint[], x: bigint): Mutation[] {
    const nb = k + m + 1;
    const bits = bitsOf(x + h + half * d, nb);
    const low = (b: readonly bigint[]): bigint => {
      let s = 0n;
      for (let i = 0; i < m; i++) s += b[k + i] << BigInt(i);
      return mod(s);
    };
    const state = (b: readonly bigint[], out = mod(b[k + m] * low(b))): Map<string, bigint> => {
      const s = new Map<string, bigint>();
      b.forEach((v, i) => s.set(names.bit(i), v));
      s.set(names.out, out);
      return s;
    };
    const kind = (i: number) => (i < k ? `remainder bit ${i}` : i < k + m ? `magnitude bit ${i - k}` : 'sign bit');
    const out = compensatedBitFlips(bits).map(({ i, j, bits: b }) => semanticMutation(c, `${kind(i)} flipped, ${kind(j)} compensating`, state(b)));

    // Sign bit flipped alone, output recomputed from it: breaks the decomposition of in. (When O2
    // eliminated the sign bit and the output does not change, no wire can express this.)
    const flipped = bits.slice();
    flipped[k + m] = 1n - flipped[k + m];
    const signOnly = semanticMutation(c, 'sign bit flipped, out recomputed', state(flipped));
    if (changesWitness(w, signOnly)) out.push(signOnly);

    // A negative quotient passed through as if positive: out = magnitude bits while the sign says 0.
    if (bits[k + m] === 0n && low(bits) !== 0n) {
      out.push(semanticMutation(c, 'out = magnitude with sign 0', state(bits, low(bits))));
    }

    // The forgery an unconstrained remainder allows: quotient ± 1 with the remainder moved by ∓2^k.
    const q = roundShift(x, k);
    for (const dq of k > 0 ? [1n, -1n] : []) {
      if (q + dq < -half || q + dq >= half) continue;
      const b = [...bits.slice(0, k), ...bitsOf(q + dq + half, m + 1)];
      b[0] -= dq * d;
      out.push(semanticMutation(c, `quotient ${dq > 0 ? '+' : '-'} 1, remainder ${dq > 0 ? '-' : '+'} 2^k`, state(b)));
    }
    return out;
  }
}
