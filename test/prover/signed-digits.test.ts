/**
 * The signed-digit recoding of Pippenger windows (src/prover/signed-digits.ts): the digits sum back
 * to the scalar, stay in [−2^(c−1), 2^(c−1) − 1], carry through runs of full windows into the window
 * above, and a scalar that does not fit is refused, for every window width.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BN254_R } from '../../src/formats/field';
import { MAX_SIGNED_WINDOW_BITS, signedDigits, signedWindowCount } from '../../src/prover/signed-digits';
import { rejectsWith } from '../helpers/rejects-with';

const le32 = (vs: bigint[]): Uint8Array => {
  const out = new Uint8Array(vs.length * 32);
  vs.forEach((v, i) => {
    for (let b = 0; b < 32; b++) out[i * 32 + b] = Number((v >> BigInt(8 * b)) & 0xffn);
  });
  return out;
};

/** Scalars at the edges: r − 1, r − 2, 0, 1, a digit of exactly ±2^(c−1) in every window, runs of ones that carry, and pseudo-random ones. */
function edgeScalars(c: number): bigint[] {
  const half = 1n << BigInt(c - 1);
  let everyHalf = 0n;
  for (let j = 0; BigInt(c * (j + 1)) <= 253n; j++) everyHalf |= half << BigInt(c * j);
  let x = 0x9e3779b97f4a7c15n;
  const random = Array.from({ length: 40 }, () => {
    x = (x * 6364136223846793005n + 1442695040888963407n) % (1n << 256n);
    return (x * x * x) % BN254_R;
  });
  return [
    BN254_R - 1n,
    BN254_R - 2n,
    BN254_R - half,
    0n,
    1n,
    half,
    half - 1n,
    half + 1n,
    (1n << BigInt(c)) - 1n,
    everyHalf,
    everyHalf - 1n,
    (1n << 250n) - 1n, // every window full: the carry runs through them all to the window above bit 250
    (1n << 253n) - 1n,
    (1n << 253n) + (1n << 200n),
    ...random,
  ];
}

for (let c = 2; c <= MAX_SIGNED_WINDOW_BITS; c++) {
  test(`signed digits of ${c} bits sum back to the scalar and stay in range`, () => {
    const windows = signedWindowCount(c);
    assert.ok(windows >= Math.ceil(254 / c) && windows <= Math.ceil(254 / c) + 1);
    const scalars = edgeScalars(c);
    // From an unaligned offset into the buffer, and a sub-range of the scalars.
    const buf = new Uint8Array(scalars.length * 32 + 3);
    buf.set(le32(scalars), 3);
    const from = 2;
    const count = scalars.length - from;
    const bytes = signedDigits(buf.subarray(3), from, count, c, windows);
    const digits = new Int16Array(bytes.buffer, bytes.byteOffset, count * windows);
    for (let i = 0; i < count; i++) {
      let sum = 0n;
      for (let j = windows - 1; j >= 0; j--) {
        const d = digits[j * count + i];
        assert.ok(d >= -(1 << (c - 1)) && d < 1 << (c - 1), `digit ${d} of ${c} bits`);
        sum = (sum << BigInt(c)) + BigInt(d);
      }
      assert.equal(sum, scalars[from + i], `scalar ${from + i}, c = ${c}`);
    }
  });
}

test('a run of full windows carries into the window above the scalar', () => {
  const c = 10;
  const windows = signedWindowCount(c);
  const bytes = signedDigits(le32([(1n << 250n) - 1n]), 0, 1, c, windows);
  const digits = Array.from(new Int16Array(bytes.buffer));
  // 1023 → −1, carry; then 1023 + 1 → 0, carry, up to the window above bit 250.
  assert.deepEqual(digits, [-1, ...Array(24).fill(0), 1]);
});

test('window counts: ⌈254/c⌉ except where r reaches the top window (c ≤ 3)', () => {
  assert.deepEqual(
    [2, 3, 4, 8, 11, 12, 13, 15, 16].map((c) => signedWindowCount(c)),
    [128, 86, 64, 32, 24, 22, 20, 17, 16],
  );
  assert.throws(() => signedWindowCount(17), RangeError);
  assert.throws(() => signedWindowCount(1), RangeError);
});

test('a scalar that does not fit the windows (not below r) is refused with a code', () => {
  // 2^256 − 1 in 16 windows of 16 bits: its top digit would carry out.
  assert.throws(() => signedDigits(le32([1n, (1n << 256n) - 1n]), 0, 2, 16, 16), rejectsWith('PROVE_FAILED', /scalar 1 /));
  // 2^255 in 17 windows of 15 bits: bit 255 lies above the top window.
  assert.throws(() => signedDigits(le32([1n << 255n]), 0, 1, 15, 17), rejectsWith('PROVE_FAILED'));
});
