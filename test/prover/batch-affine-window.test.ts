/**
 * The batch-affine Pippenger window (src/snark/batch-affine-wasm.ts) gives the same point as
 * wasmcurves's Jacobian one on the inputs where the affine formula needs its fallbacks: repeated
 * points (doubling), negated points (sums to zero), points at infinity, all points in one bucket
 * (0/1 scalars), sparse digits, and windows at a shifted start bit.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BATCH_AFFINE_CHUNK, scratchBytes } from '../../src/snark/batch-affine-wasm';
import { curveWithThreads, hasBatchAffine } from '../../src/snark/curve';
import { snarkjs, SnarkjsCurve } from '../../src/snark/snarkjs';

let curve: SnarkjsCurve;
let points: Uint8Array;
const N = 3000;

before(async () => {
  curve = await curveWithThreads(snarkjs, 2);
  const G = curve.G1;
  const jac = new Uint8Array(N * 96);
  let p = G.g;
  const step = G.timesScalar(G.g, 7);
  for (let i = 0; i < N; i++) {
    jac.set(p, i * 96);
    p = G.add(p, step);
    if (i % 97 === 5) jac.set(jac.subarray((i - 1) * 96, i * 96), i * 96); // the point before, again
    if (i % 101 === 3) jac.set(G.neg(jac.subarray((i - 1) * 96, i * 96)), i * 96); // its negation
    if (i % 211 === 7) jac.set(G.zero, i * 96);
  }
  points = await G.batchToAffine(jac);
});

after(async () => {
  await curve?.terminate();
});

/** A deterministic byte stream (xorshift). */
function bytes(n: number, seed: number, keep: (i: number) => boolean = () => true): Uint8Array {
  let x = seed;
  return Uint8Array.from({ length: n }, (_, i) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return keep(i) ? x & 0xff : 0;
  });
}

async function window(fnName: string, scalars: Uint8Array, scalarSize: number, startBit: number, c: number): Promise<Uint8Array> {
  const batch = fnName === BATCH_AFFINE_CHUNK;
  const [r] = await curve.tm.queueAction([
    { cmd: 'ALLOCSET', var: 0, buff: points },
    { cmd: 'ALLOCSET', var: 1, buff: scalars },
    { cmd: 'ALLOC', var: 2, len: 96 },
    { cmd: 'ALLOC', var: 3, len: batch ? scratchBytes(N, c) : (1 << c) * 96 },
    { cmd: 'CALL', fnName, params: [{ var: 0 }, { var: 1 }, { val: scalarSize }, { val: N }, { val: startBit }, { val: c }, { var: 2 }, ...(batch ? [{ var: 3 }] : [])] },
    { cmd: 'GET', out: 0, var: 2, len: 96 },
  ]);
  return r;
}

test('our curve carries the batch-affine window', () => {
  assert.ok(hasBatchAffine(curve));
});

const cases: Array<{ name: string; size: number; c: number; scalars: () => Uint8Array }> = [
  { name: 'random 2-byte digits, c = 12', size: 2, c: 12, scalars: () => bytes(N * 2, 1) },
  { name: 'random 32-byte scalars, c = 10', size: 32, c: 10, scalars: () => bytes(N * 32, 2) },
  { name: '0/1 scalars (one bucket)', size: 1, c: 8, scalars: () => Uint8Array.from({ length: N }, (_, i) => (i % 3 ? 1 : 0)) },
  { name: 'sparse digits, c = 14', size: 2, c: 14, scalars: () => bytes(N * 2, 3, (i) => i % 64 < 2) },
  { name: 'few buckets, c = 4', size: 2, c: 4, scalars: () => bytes(N * 2, 4) },
];

for (const k of cases) {
  for (const startBit of [0, 3]) {
    test(`${k.name}, start bit ${startBit}: the same point as wasmcurves's window`, async () => {
      const scalars = k.scalars();
      const c = Math.min(k.c, k.size * 8 - startBit);
      const ours = await window(BATCH_AFFINE_CHUNK, scalars, k.size, startBit, c);
      const theirs = await window('g1m_multiexpAffine_chunk', scalars, k.size, startBit, c);
      assert.ok(curve.G1.eq(ours, theirs));
    });
  }
}

test('all-zero digits give the point at infinity', async () => {
  assert.ok(curve.G1.isZero(await window(BATCH_AFFINE_CHUNK, new Uint8Array(N * 2), 2, 0, 12)));
});
