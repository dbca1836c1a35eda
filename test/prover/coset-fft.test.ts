/**
 * Our one-pass coset FFT (src/snark/coset-fft-wasm.ts) gives, byte for byte, what wasmcurves's
 * frm_ifft, frm_batchApplyKey and frm_fft give (the chain snarkjs's prover runs), for every domain
 * size from 1 to 2^12 and 2^15, on the odd coset the prover uses and on another shift.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { cosetFftScratchBytes, ODD_COSET_FFT } from '../../src/snark/coset-fft-wasm';
import { curveWithThreads, hasCosetFft } from '../../src/snark/curve';
import { snarkjs, SnarkjsCurve } from '../../src/snark/snarkjs';

let curve: SnarkjsCurve;

before(async () => {
  curve = await curveWithThreads(snarkjs, 2);
});

after(async () => {
  await curve?.terminate();
});

/** n pseudo-random field elements in Montgomery form, with a few zeros and ones. */
function vector(n: number, seed: number): Uint8Array {
  const Fr = curve.Fr;
  const out = new Uint8Array(n * 32);
  let x = BigInt(seed) * 0x9e3779b97f4a7c15n + 1n;
  for (let i = 0; i < n; i++) {
    x = (x * 6364136223846793005n + 1442695040888963407n) % (1n << 256n);
    const v = i % 17 === 3 ? 0n : i % 19 === 4 ? 1n : x;
    out.set(Fr.e(v), i * 32);
  }
  return out;
}

async function ours(values: Uint8Array, bits: number, inc: Uint8Array): Promise<Uint8Array> {
  const Fr = curve.Fr;
  const n = 1 << bits;
  const [r] = await curve.tm.queueAction([
    { cmd: 'ALLOCSET', var: 0, buff: values },
    { cmd: 'ALLOCSET', var: 1, buff: Fr.w[bits] },
    { cmd: 'ALLOCSET', var: 2, buff: Fr.inv(Fr.e(n)) },
    { cmd: 'ALLOCSET', var: 3, buff: inc },
    { cmd: 'ALLOC', var: 4, len: cosetFftScratchBytes(n) },
    { cmd: 'CALL', fnName: ODD_COSET_FFT, params: [{ var: 0 }, { val: bits }, { var: 1 }, { var: 2 }, { var: 3 }, { var: 4 }] },
    { cmd: 'GET', out: 0, var: 0, len: n * 32 },
  ]);
  return r;
}

async function wasmcurves(values: Uint8Array, n: number, inc: Uint8Array): Promise<Uint8Array> {
  const [r] = await curve.tm.queueAction([
    { cmd: 'ALLOCSET', var: 0, buff: values },
    { cmd: 'ALLOCSET', var: 1, buff: curve.Fr.one },
    { cmd: 'ALLOCSET', var: 2, buff: inc },
    { cmd: 'ALLOC', var: 3, len: n * 32 },
    { cmd: 'CALL', fnName: 'frm_ifft', params: [{ var: 0 }, { val: n }] },
    { cmd: 'CALL', fnName: 'frm_batchApplyKey', params: [{ var: 0 }, { val: n }, { var: 1 }, { var: 2 }, { var: 3 }] },
    { cmd: 'CALL', fnName: 'frm_fft', params: [{ var: 3 }, { val: n }] },
    { cmd: 'GET', out: 0, var: 3, len: n * 32 },
  ]);
  return r;
}

test('our curve carries the one-pass coset FFT', () => {
  assert.ok(hasCosetFft(curve));
});

for (const bits of [0, 1, 2, 3, 4, 5, 8, 11, 12, 15]) {
  test(`domain 2^${bits}: the same bytes as wasmcurves's ifft, batchApplyKey, fft`, async () => {
    const Fr = curve.Fr;
    const n = 1 << bits;
    // The prover's odd coset (the 2n-th root of unity), and an arbitrary shift.
    for (const inc of [Fr.w[bits + 1], Fr.e(7n)]) {
      const values = vector(n, bits + 1);
      const expected = await wasmcurves(values, n, inc);
      const got = await ours(values, bits, inc);
      assert.equal(Buffer.compare(Buffer.from(got), Buffer.from(expected)), 0, `2^${bits}`);
    }
  });
}
