import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { artifactPath, readJson } from '../../src/formats/artifacts';
import { ZkmlError } from '../../src/errors';
import { BN254_Q, BN254_R } from '../../src/formats/field';
import { poseidonHash } from '../../src/commit/scheme';
import { holdSnarkjsCurve } from '../../src/snark/curve';
import { verifyOffchain } from '../../src/verifier/offchain';
import { tinyCircuitWithKeys } from '../helpers/setup-fixtures';
import { clone, ProofAndSignals, proveTiny, removeDir } from '../helpers/tiny-circuit';

let buildDir: string;
let cacheDir: string;
let vk: object;
let good: ProofAndSignals;

before(async () => {
  ({ buildDir, cacheDir } = await tinyCircuitWithKeys());
  vk = readJson<object>(artifactPath(buildDir, 'vk'));
  good = await proveTiny(buildDir, { a: 3, b: 5 });
});
after(() => {
  removeDir(buildDir);
  removeDir(cacheDir);
});

async function expectRefused(receipt: ProofAndSignals, code: string): Promise<void> {
  const r = await verifyOffchain(receipt, vk);
  assert.equal(r.valid, false);
  assert.equal(r.code, code, r.reason);
  assert.ok(r.reason.length > 0);
}

test('a proof from snarkjs fullProve verifies, and no bn128 curve is left running', async () => {
  assert.deepEqual(good.publicSignals, ['50', '5']); // c = a·a·b + b
  const r = await verifyOffchain(good, vk);
  assert.deepEqual(r, { valid: true, reason: r.reason });
  assert.equal((globalThis as { curve_bn128?: unknown }).curve_bn128, null, 'the curve snarkjs built was terminated');
});

test('holdSnarkjsCurve: verifications share one curve until the release, which terminates it', async () => {
  const g = globalThis as { curve_bn128?: unknown };
  const release = holdSnarkjsCurve();
  assert.equal(g.curve_bn128, null, 'a hold builds nothing by itself');
  assert.equal((await verifyOffchain(good, vk)).valid, true);
  const curve = g.curve_bn128;
  assert.ok(curve, 'the curve outlives the verification');
  const tampered = clone(good);
  tampered.publicSignals[0] = '51';
  assert.equal((await verifyOffchain(tampered, vk)).code, 'PROOF_INVALID');
  assert.equal(g.curve_bn128, curve, 'the second verification used the same curve');
  // circomlibjs's own ffjavascript nulls the global when it loads; the curve must survive that.
  assert.ok(!Object.keys(require.cache).some((k) => k.includes(`${path.sep}circomlibjs${path.sep}`)), 'circomlibjs is first loaded here');
  await poseidonHash([1n, 2n]);
  assert.equal(g.curve_bn128, curve, 'loading circomlibjs left the held curve in place');
  await release();
  await release(); // a second call is a no-op
  assert.equal(g.curve_bn128, null, 'released: terminated');
  assert.equal((await verifyOffchain(good, vk)).valid, true);
  assert.equal(g.curve_bn128, null, 'without a hold each call terminates its curve again');
});

test('a proof point moved off the curve is PROOF_MALFORMED', async () => {
  const offCurveA = clone(good);
  offCurveA.proof.pi_a[0] = (BigInt(good.proof.pi_a[0]) + 1n).toString();
  await expectRefused(offCurveA, 'PROOF_MALFORMED');

  const offCurveB = clone(good);
  offCurveB.proof.pi_b[0][0] = (BigInt(good.proof.pi_b[0][0]) + 1n).toString();
  await expectRefused(offCurveB, 'PROOF_MALFORMED'); // caught by snarkjs's G2 check
});

test('a proof point changed but still on the curve is PROOF_INVALID', async () => {
  const negatedA = clone(good);
  negatedA.proof.pi_a[1] = (BN254_Q - BigInt(good.proof.pi_a[1])).toString();
  await expectRefused(negatedA, 'PROOF_INVALID');

  const swapped = clone(good);
  swapped.proof.pi_a = good.proof.pi_c;
  swapped.proof.pi_c = good.proof.pi_a;
  await expectRefused(swapped, 'PROOF_INVALID');
});

test('a changed public signal is PROOF_INVALID', async () => {
  const t = clone(good);
  t.publicSignals[0] = '51';
  await expectRefused(t, 'PROOF_INVALID');
});

test('a signal equal to r, or the true value plus r, is SIGNAL_NOT_IN_FIELD', async () => {
  const atR = clone(good);
  atR.publicSignals[1] = BN254_R.toString();
  await expectRefused(atR, 'SIGNAL_NOT_IN_FIELD');

  // s + r is the same field element: snarkjs alone would reduce it, we refuse the non-canonical form.
  const plusR = clone(good);
  plusR.publicSignals[0] = (BigInt(good.publicSignals[0]) + BN254_R).toString();
  await expectRefused(plusR, 'SIGNAL_NOT_IN_FIELD');

  for (const bad of ['-1', '0x32', '050', ' 50', '5e1', '']) {
    const t = clone(good);
    t.publicSignals[0] = bad;
    await expectRefused(t, 'SIGNAL_NOT_IN_FIELD');
  }
  const notString = clone(good) as unknown as { publicSignals: unknown[] };
  notString.publicSignals[0] = 50;
  await expectRefused(notString as unknown as ProofAndSignals, 'SIGNAL_NOT_IN_FIELD');
});

test('too few or too many signals is SIGNAL_COUNT_MISMATCH', async () => {
  await expectRefused({ ...clone(good), publicSignals: ['50'] }, 'SIGNAL_COUNT_MISMATCH');
  await expectRefused({ ...clone(good), publicSignals: ['50', '5', '0'] }, 'SIGNAL_COUNT_MISMATCH');
});

test('a proof of the wrong shape is PROOF_MALFORMED', async () => {
  const mutations: Array<(p: any) => void> = [
    (p) => (p.protocol = 'plonk'),
    (p) => (p.curve = 'bls12381'),
    (p) => p.pi_a.pop(),
    (p) => (p.pi_a[2] = '2'),
    (p) => (p.pi_c[0] = BN254_Q.toString()),
    (p) => (p.pi_c[0] = '0' + p.pi_c[0]),
    (p) => (p.pi_b[2] = ['0', '1']),
    (p) => (p.pi_b[1] = ['1']),
    (p) => (p.pi_b[0][1] = (BN254_Q + 1n).toString()),
    (p) => delete p.pi_b,
  ];
  for (const mutate of mutations) {
    const t = clone(good);
    mutate(t.proof);
    await expectRefused(t, 'PROOF_MALFORMED');
  }
  await expectRefused({ proof: null, publicSignals: good.publicSignals } as unknown as ProofAndSignals, 'PROOF_MALFORMED');
});

test('a verification key that is not a Groth16 bn128 key throws', async () => {
  await assert.rejects(verifyOffchain(good, { protocol: 'plonk' }), (err: unknown) => err instanceof ZkmlError);
});
