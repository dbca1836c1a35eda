/**
 * The prover's Piscina task uses our Groth16 prover: a receipt for models/tiny verifies off-chain
 * (snarkjs) and in the exported Solidity verifier on anvil, a tampered proof does not, and the
 * receipt's timings say where the proof's time went.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { compileModel } from '../../src/compiler/compile';
import { artifactPath, readJson } from '../../src/formats/artifacts';
import { BN254_Q } from '../../src/formats/field';
import type { Receipt } from '../../src/formats/receipt';
import { runSetup } from '../../src/setup/groth16-setup';
import { verifyOffchain } from '../../src/verifier/offchain';
import { verifyOnchain } from '../../src/verifier/onchain';
import { e2eFixture } from '../helpers/e2e-fixture';
import { calibrationFile, inputFile, modelFile } from '../helpers/onnx-builders';

describe('Prover (Piscina task, our Groth16 prover) on models/tiny', () => {
  const fixture = e2eFixture('prover-e2e');
  let build: string;
  let receipt: Receipt;
  const inputDoc = JSON.parse(fs.readFileSync(inputFile('tiny'), 'utf8'));

  before(async () => {
    build = path.join(fixture.work, 'build');
    await compileModel(modelFile('tiny'), build, { calibration: calibrationFile('tiny') });
    await runSetup(build, { cacheDir: path.join(fixture.work, 'cache') });
    receipt = await fixture.prover.prove(build, inputDoc);
  });

  test('the receipt verifies off-chain and in the Solidity verifier on anvil', async () => {
    const vk = readJson<object>(artifactPath(build, 'vk'));
    const off = await verifyOffchain(receipt, vk);
    assert.equal(off.valid, true, off.reason);
    const on = await verifyOnchain(build, receipt, { rpcUrl: fixture.chain.rpcUrl, privateKey: fixture.chain.privateKey });
    assert.equal(on.valid, true, on.reason);
    // A warm second proof (key and curve kept by the worker) verifies on-chain too.
    const again = await fixture.prover.prove(build, inputDoc);
    assert.deepEqual(again.publicSignals, receipt.publicSignals);
    assert.notDeepEqual(again.proof.pi_a, receipt.proof.pi_a);
    assert.equal((await verifyOnchain(build, again, { rpcUrl: fixture.chain.rpcUrl })).valid, true);
  });

  test('a tampered proof (−π_A, still a curve point) is refused on-chain', async () => {
    const bad = JSON.parse(JSON.stringify(receipt)) as Receipt;
    bad.proof.pi_a[1] = (BN254_Q - BigInt(bad.proof.pi_a[1])).toString();
    const on = await verifyOnchain(build, bad, { rpcUrl: fixture.chain.rpcUrl });
    assert.equal(on.valid, false);
  });

  test('the receipt timings split the proof into ABC, FFT and MSM', () => {
    const steps = receipt.timings.proveSteps!;
    assert.ok(steps, 'proveSteps present');
    for (const v of [steps.abcMs, steps.fftMs, steps.msmMs]) assert.ok(Number.isInteger(v) && v >= 0);
    assert.ok(steps.abcMs + steps.fftMs + steps.msmMs <= receipt.timings.proveMs + 2);
  });
});
