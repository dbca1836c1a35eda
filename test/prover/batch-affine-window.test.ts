/**
 * The batch-affine Pippenger windows (src/snark/batch-affine-wasm.ts), unsigned and signed, give the
 * same point as wasmcurves's own multi-exponentiation on the inputs where the affine formula needs its
 * fallbacks: repeated points (doubling), negated points (sums to zero), points at infinity, all points
 * in one bucket (0/1 and 0/±1 digits), sparse digits, every digit at ±2^(c−1), and windows at a
 * shifted start bit. The whole multi-exponentiations built on them (the fixed-base table, the
 * windowed multiexp; src/prover) equal wasmcurves's on scalars up to r − 1, at digit boundaries and
 * with carries through every window.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BN254_R } from '../../src/formats/field';
import { buildFixedBaseTable, fixedBaseMultiExp } from '../../src/prover/fixed-base-msm';
import { multiExp } from '../../src/prover/groth16';
import { WindowKind } from '../../src/prover/msm-window';
import { BATCH_AFFINE_CHUNK, scratchBytes, SIGNED_WINDOW } from '../../src/snark/batch-affine-wasm';
import { curveWithThreads, hasBatchAffine } from '../../src/snark/curve';
import { snarkjs, SnarkjsCurve } from '../../src/snark/snarkjs';

let curve: SnarkjsCurve;
let points: Uint8Array;
/** The same points negated. */
let negated: Uint8Array;
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
  const neg = new Uint8Array(N * 96);
  for (let i = 0; i < N; i++) neg.set(G.neg(jac.subarray(i * 96, (i + 1) * 96)), i * 96);
  negated = await G.batchToAffine(neg);
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

/** Σ dᵢ·Pᵢ by our signed window over int16 digits. */
async function signedWindow(digits: Int16Array, c: number): Promise<Uint8Array> {
  const [r] = await curve.tm.queueAction([
    { cmd: 'ALLOCSET', var: 0, buff: points },
    { cmd: 'ALLOCSET', var: 1, buff: new Uint8Array(digits.buffer, digits.byteOffset, digits.byteLength) },
    { cmd: 'ALLOC', var: 2, len: 96 },
    { cmd: 'ALLOC', var: 3, len: scratchBytes(N, c, 'signed') },
    { cmd: 'CALL', fnName: SIGNED_WINDOW, params: [{ var: 0 }, { var: 1 }, { val: N }, { val: c }, { var: 2 }, { var: 3 }] },
    { cmd: 'GET', out: 0, var: 2, len: 96 },
  ]);
  return r;
}

/** The same sum by wasmcurves's whole multiexp: |dᵢ| as 4-byte scalars over Pᵢ or −Pᵢ. */
async function wasmcurvesSigned(digits: Int16Array): Promise<Uint8Array> {
  const bases = new Uint8Array(N * 64);
  const scalars = new Uint8Array(N * 4);
  const view = new DataView(scalars.buffer);
  digits.forEach((d, i) => {
    bases.set((d < 0 ? negated : points).subarray(i * 64, (i + 1) * 64), i * 64);
    view.setUint32(i * 4, Math.abs(d), true);
  });
  const [r] = await curve.tm.queueAction([
    { cmd: 'ALLOCSET', var: 0, buff: bases },
    { cmd: 'ALLOCSET', var: 1, buff: scalars },
    { cmd: 'ALLOC', var: 2, len: 96 },
    { cmd: 'CALL', fnName: 'g1m_multiexpAffine', params: [{ var: 0 }, { var: 1 }, { val: 4 }, { val: N }, { var: 2 }] },
    { cmd: 'GET', out: 0, var: 2, len: 96 },
  ]);
  return r;
}

/** Digits from a deterministic stream, mapped into [lo, hi]. */
function digitsIn(seed: number, lo: number, hi: number, keep: (i: number) => boolean = () => true): Int16Array {
  const b = bytes(N * 4, seed);
  const v = new DataView(b.buffer);
  return Int16Array.from({ length: N }, (_, i) => (keep(i) ? lo + (v.getUint32(i * 4, true) % (hi - lo + 1)) : 0));
}

const signedCases: Array<{ name: string; c: number; digits: () => Int16Array }> = [
  { name: 'random digits in [−2^11, 2^11], c = 12', c: 12, digits: () => digitsIn(11, -2048, 2048) },
  { name: 'random digits in [−2^15, 2^15 − 1], c = 16', c: 16, digits: () => digitsIn(12, -32768, 32767) },
  { name: 'every digit ±2^(c−1) (one bucket), c = 10', c: 10, digits: () => Int16Array.from({ length: N }, (_, i) => (i % 3 ? 512 : -512)) },
  { name: 'every digit −2^15, c = 16', c: 16, digits: () => new Int16Array(N).fill(-32768) },
  { name: '0/±1 digits (one bucket, both signs)', c: 8, digits: () => Int16Array.from({ length: N }, (_, i) => [0, 1, -1, 1, -1, -1][i % 6]) },
  { name: 'sparse digits, c = 14', c: 14, digits: () => digitsIn(13, -8192, 8192, (i) => i % 64 < 2) },
  { name: 'few buckets, c = 4', c: 4, digits: () => digitsIn(14, -8, 8) },
  { name: 'two buckets, c = 2', c: 2, digits: () => digitsIn(15, -2, 2) },
];

for (const k of signedCases) {
  test(`signed window, ${k.name}: the same point as wasmcurves's multiexp`, async () => {
    const digits = k.digits();
    assert.ok(curve.G1.eq(await signedWindow(digits, k.c), await wasmcurvesSigned(digits)));
  });
}

test('signed window: all-zero digits give the point at infinity', async () => {
  assert.ok(curve.G1.isZero(await signedWindow(new Int16Array(N), 12)));
});

/** Full-width scalars (32 bytes LE, below r) at the edges of the signed recoding, and pseudo-random ones. */
function fullScalars(n: number): Uint8Array {
  const edge = [
    BN254_R - 1n,
    BN254_R - 2n,
    0n,
    1n,
    (1n << 250n) - 1n,
    (1n << 253n) - 1n,
    1n << 15n,
    (1n << 15n) - 1n,
    1n << 14n,
    1n << 10n,
    0x8000800080008000800080008000800080008000800080008000800080008n,
  ];
  const random = bytes(n * 32, 21);
  const out = new Uint8Array(n * 32);
  for (let i = 0; i < n; i++) {
    let v = 0n;
    for (let b = 31; b >= 0; b--) v = (v << 8n) | BigInt(random[i * 32 + b]);
    if (i % 3 === 0) v = edge[(i / 3) % edge.length];
    v %= BN254_R;
    for (let b = 0; b < 32; b++) out[i * 32 + b] = Number((v >> BigInt(8 * b)) & 0xffn);
  }
  return out;
}

test('the fixed-base table with signed and unsigned windows equals wasmcurves multiExpAffine, for several widths and slice counts', async () => {
  const n = 256;
  const bases = points.slice(0, n * 64);
  const scalars = fullScalars(n);
  const expected = await curve.G1.multiExpAffine(bases, scalars);
  const cases: Array<[WindowKind, number, number]> = [
    ['signed', 8, 2],
    ['signed', 11, 3],
    ['signed', 15, 2],
    ['signed', 16, 1],
    ['batchAffine', 12, 2],
    ['jacobian', 10, 2],
  ];
  for (const [kind, c, parts] of cases) {
    const table = await buildFixedBaseTable(curve, bases, parts, c, kind);
    assert.ok(curve.G1.eq(await fixedBaseMultiExp(curve, table, scalars), expected), `${kind}, c = ${c}, ${parts} slices`);
  }
});

test('the windowed multiexp (windows shared out among threads) with signed and unsigned windows equals wasmcurves multiExpAffine', async () => {
  const scalars = fullScalars(N);
  const expected = await curve.G1.multiExpAffine(points, scalars);
  for (const kind of ['signed', 'batchAffine', 'jacobian'] as const) {
    for (const parts of [2, 3]) assert.ok(curve.G1.eq(await multiExp(curve, 'G1', points, scalars, parts, undefined, kind), expected), `${kind}, ${parts} parts`);
  }
});

test("signed window: the affine bucket reduction's doubling and P + (−P) cases give wasmcurves's point", async () => {
  // c = 10: 512 buckets in 256 segments of 2. Point 3 is −point 2 and point 5 is point 4 (see before()):
  // buckets 5 and 4 (digits 6, 5) hold P and −P, buckets 9 and 8 (digits 10, 9) hold Q twice, so a
  // segment's running sum meets its negation and its double; the other digits are random.
  for (const rest of [0, 1]) {
    const digits = rest ? digitsIn(16, -512, 512, (i) => i % 7 === 0) : new Int16Array(N);
    digits.set([6, 5, 10, 9], 2);
    assert.ok(curve.G1.eq(await signedWindow(digits, 10), await wasmcurvesSigned(digits)), rest ? 'with other digits' : 'alone');
  }
});
