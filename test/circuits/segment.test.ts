/**
 * Segment(n, b, lo, hi, alpha, beta): out = alpha[j] + beta[j]·in for the one segment j holding in;
 * a one-hot selector, two b-bit range checks placing in inside its segment, one product. The
 * piecewise-linear activations use it when it is cheaper than a relu per breakpoint (pwl.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  acceptedMutations,
  bitsOf,
  buildTestCircuit,
  disposeAll,
  mainOf,
  mod,
  Mutation,
  outputMutations,
  semanticMutation,
  singleWireMutations,
  TestCircuit,
  toSigned,
  witnessFailed,
} from '../helpers/circuit-harness';

interface Case {
  lo: bigint[];
  hi: bigint[];
  alpha: bigint[];
  beta: bigint[];
  b: number;
  /** Pinned r1cs size: n + 2b + 1 (2b + 1 for one segment: its selector is the constant 1). */
  constraints: number;
}

const CASES: Case[] = [
  { lo: [-8n, -3n, 0n, 4n], hi: [-4n, -1n, 3n, 7n], alpha: [5n, -7n, 0n, 100n], beta: [-2n, 3n, 1n, -20n], b: 3, constraints: 11 },
  { lo: [-2n], hi: [5n], alpha: [9n], beta: [-4n], b: 3, constraints: 7 },
  // Seventeen segments of a 10-bit range, like a Tanh fit: 17 + 2·7 + 1.
  {
    lo: Array.from({ length: 17 }, (_, j) => BigInt(-512 + 60 * j)),
    hi: Array.from({ length: 17 }, (_, j) => (j === 16 ? 511n : BigInt(-512 + 60 * (j + 1) - 1))),
    alpha: Array.from({ length: 17 }, (_, j) => BigInt(1000 * j - 7000)),
    beta: Array.from({ length: 17 }, (_, j) => BigInt((j * 37) % 11) - 5n),
    b: 7,
    constraints: 32,
  },
];

const list = (v: bigint[]) => `[${v.join(', ')}]`;

for (const { lo, hi, alpha, beta, b, constraints } of CASES) {
  const n = lo.length;
  const instance = `Segment(${n}, ${b}, ${list(lo)}, ${list(hi)}, ${list(alpha)}, ${list(beta)})`;
  const segmentOf = (x: bigint) => lo.findIndex((l, j) => x >= l && x <= hi[j]);
  const value = (x: bigint) => alpha[segmentOf(x)] + beta[segmentOf(x)] * x;

  describe(`Segment with ${n} segments over [${lo[0]}, ${hi[n - 1]}], b = ${b}`, () => {
    const building = buildTestCircuit(mainOf('segment.circom', instance, ['in']));
    let c: TestCircuit;
    before(async () => {
      c = await building;
    });
    after(() => disposeAll(building));

    it('outputs alpha[j] + beta[j]·in of the segment holding in, at every input of the range', async () => {
      const outIdx = c.signalIndex('main.out');
      for (let x = lo[0]; x <= hi[n - 1]; x += n > 4 ? 7n : 1n) {
        const w = await c.calc({ in: x });
        assert.equal(toSigned(w[outIdx]), value(x), `in = ${x}`);
        assert.deepEqual(c.check(w), { ok: true }, `in = ${x}`);
      }
      // The segment ends, and a fixed vector independent of the reference.
      for (const x of [...lo, ...hi]) assert.equal(toSigned((await c.calc({ in: x }))[outIdx]), value(x));
      if (n === 4) assert.equal(toSigned((await c.calc({ in: 2n }))[outIdx]), 2n);
    });

    it('has no witness outside [lo[0], hi[n − 1]]', async () => {
      for (const x of [lo[0] - 1n, hi[n - 1] + 1n, lo[0] - (1n << BigInt(b + 2))]) await assert.rejects(c.calc({ in: x }), witnessFailed, `in = ${x}`);
    });

    it('rejects every mutation with in held fixed: the output, any single wire, and every other segment', async () => {
      for (const x of [lo[0], hi[n - 1], 0n, lo[n - 1], hi[0]]) {
        const w = await c.calc({ in: x });
        const mutations: Mutation[] = [...outputMutations(c, w, 'main.out'), ...singleWireMutations(c, w), ...otherSegmentForgeries(c, x)];
        assert.deepEqual(acceptedMutations(c, w, mutations), [], `in = ${x}`);
      }
    });

    it(`costs ${n > 1 ? 'n + ' : ''}2b + 1 = ${constraints} constraints`, async () => {
      assert.equal(constraints, (n > 1 ? n : 0) + 2 * b + 1);
      assert.equal(c.info.nConstraints, constraints);
    });

    /**
     * For every segment k other than the right one: the whole state of a proof claiming segment k
     * (one-hot on k, out and the product of k's line, every linear relation kept). One of the two
     * differences is negative; its bits are its low bits with bit 0 absorbing the rest, so only
     * booleanity can object, and it must.
     */
    function otherSegmentForgeries(c: TestCircuit, x: bigint): Mutation[] {
      const out: Mutation[] = [];
      const right = segmentOf(x);
      for (let k = 0; k < n; k++) {
        if (k === right) continue;
        const s = new Map<string, bigint>();
        for (let j = 0; j < n; j++) s.set(`main.sel[${j}]`, j === k ? 1n : 0n);
        s.set('main.product', beta[k] * x);
        s.set('main.out', alpha[k] + beta[k] * x);
        for (const [name, d] of [
          ['above', x - lo[k]],
          ['below', hi[k] - x],
        ] as const) {
          const m = 1n << BigInt(b);
          const bits = bitsOf(((d % m) + m) % m, b);
          bits[0] = mod(bits[0] + d - bits.reduce((a, v, i) => a + (v << BigInt(i)), 0n));
          bits.forEach((v, i) => s.set(`main.${name}.bits[${i}]`, v));
        }
        out.push(semanticMutation(c, `segment ${k} instead of ${right}`, s));
      }
      return out;
    }
  });
}
