/**
 * The library pipeline on models/tiny-matmul with public inputs: compile → setup → prove → verify
 * off-chain and on-chain. The public inputs in the receipt are the quantized input, and a proof does
 * not verify for any other input.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { artifactPath, readJson, readManifest } from '../../src/formats/artifacts';
import type { LocalChain } from '../../src/chain/anvil';
import { compileModel } from '../../src/compiler/compile';
import { readCompiled } from '../../src/formats/compiled-model';
import type { Prover } from '../../src/prover/prover';
import type { Receipt } from '../../src/formats/receipt';
import { quantizeSample } from '../../src/quantize/codec';
import { toField } from '../../src/formats/field';
import { readInput } from '../../src/formats/input-document';
import { runReference } from '../../src/quantize/reference';
import { runSetup } from '../../src/setup/groth16-setup';
import { BN254_R } from '../../src/formats/field';
import { verifyOffchain } from '../../src/verifier/offchain';
import { verifyOnchain } from '../../src/verifier/onchain';
import { calibrationFile, inputFile, modelFile } from '../helpers/onnx-builders';
import { e2eFixture } from '../helpers/e2e-fixture';

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

describe('library pipeline: tiny-matmul with public inputs', () => {
  let work: string;
  let build: string;
  let prover: Prover;
  let chain: LocalChain;
  let receipt: Receipt;
  let vk: object;
  const inputDoc = JSON.parse(fs.readFileSync(inputFile('tiny-matmul'), 'utf8'));
  const fixture = e2eFixture('pipeline');

  before(() => {
    ({ work, prover, chain } = fixture);
    build = path.join(work, 'build');
  });

  test('compile: the inputs are public signals after the outputs', async () => {
    const r = await compileModel(modelFile('tiny-matmul'), build, { settings: { inputVisibility: 'public' }, calibration: calibrationFile('tiny-matmul') });
    assert.equal(r.publicSignals, 2 + 4);
    assert.equal(r.report.predictedConstraints, r.constraints);
    assert.match(fs.readFileSync(artifactPath(build, 'circuitSource'), 'utf8'), /component main \{public \[x0\]\} = Model\(\);/);
    assert.equal(readCompiled(build).model.inputs[0].visibility, 'public');
  });

  test('setup: a key for 6 public signals, hashes chained in the manifest', async () => {
    const r = await runSetup(build, { cacheDir: path.join(work, 'cache') });
    assert.equal(r.nPublic, 6);
    assert.equal(r.devSingleContributor, true);
    const m = readManifest(build);
    assert.match(m.zkeySha256 ?? '', /^[0-9a-f]{64}$/);
    assert.match(m.vkSha256 ?? '', /^[0-9a-f]{64}$/);
    vk = readJson<object>(artifactPath(build, 'vk'));
    assert.equal((vk as { nPublic: number }).nPublic, 6);
  });

  test('prove: outputs equal the integer reference; publicInputs decode back to the quantized input', async () => {
    receipt = await prover.prove(build, inputDoc);
    const { model, graphInputs } = readCompiled(build);
    const q = quantizeSample(model, readInput(inputDoc, graphInputs));
    const x = model.inputs[0];
    const xq = q.get(x.tensor)!;

    assert.equal(receipt.publicSignals.length, 6);
    assert.deepEqual(receipt.publicSignals.slice(2), xq.map(toField), 'the last signals are the quantized input');
    assert.equal(receipt.publicInputs.length, 1);
    assert.equal(receipt.publicInputs[0].name, 'x');
    assert.deepEqual(receipt.publicInputs[0].shape, [1, 4]);
    assert.deepEqual(
      receipt.publicInputs[0].values.map((v) => BigInt(Math.round(v * 2 ** x.scaleBits))),
      xq,
    );
    assert.deepEqual(
      receipt.publicInputs[0].values,
      xq.map((v) => Number(v) / 2 ** x.scaleBits),
    );
    // The decoded public input is the given input up to the input rounding.
    const given = inputDoc.input_data[0] as number[];
    receipt.publicInputs[0].values.forEach((v, i) => assert.ok(Math.abs(v - given[i]) <= 2 ** -(x.scaleBits + 1)));

    const out = model.outputs[0];
    const ref = runReference(model, q)[out.tensor];
    assert.deepEqual(receipt.publicSignals.slice(0, 2), ref.map(toField));
    assert.deepEqual(
      receipt.outputs[0].values,
      ref.map((v) => Number(v) / 2 ** out.scaleBits),
    );
    assert.equal(receipt.reference.integerReferenceMatches, true);
    assert.ok(receipt.reference.maxAbsError <= receipt.reference.tolerance, `${receipt.reference.maxAbsError} ≤ ${receipt.reference.tolerance}`);
    assert.deepEqual(
      receipt.model.publicLayout.map((e) => e.kind),
      ['output', 'input'],
    );
  });

  test('verify: the receipt is valid off-chain and on-chain', async () => {
    const off = await verifyOffchain(receipt, vk);
    assert.equal(off.valid, true, off.reason);
    const on = await verifyOnchain(build, receipt, { rpcUrl: chain.rpcUrl, privateKey: chain.privateKey });
    assert.equal(on.valid, true, on.reason);
    assert.equal(on.deployed, true);
  });

  test('a tampered public input is rejected off-chain and on-chain', async () => {
    for (const [index, delta] of [
      [2, 1n],
      [5, BN254_R - 1n],
      [3, 64n],
    ] as Array<[number, bigint]>) {
      const bad = clone(receipt);
      bad.publicSignals[index] = ((BigInt(bad.publicSignals[index]) + delta) % BN254_R).toString();
      const off = await verifyOffchain(bad, vk);
      assert.equal(off.valid, false, `signal ${index} + ${delta} accepted off-chain`);
      assert.equal(off.code, 'PROOF_INVALID');
      const on = await verifyOnchain(build, bad, { rpcUrl: chain.rpcUrl });
      assert.equal(on.valid, false, `signal ${index} + ${delta} accepted on-chain`);
      assert.equal(on.deployed, false, 'the recorded verifier is reused');
      assert.equal(on.code, 'PROOF_INVALID');
    }
  });

  test('a second input gives a second valid proof whose public inputs differ', async () => {
    const other = await prover.prove(build, { input_data: [[0.5, -0.25, 0.125, -1]] });
    assert.notDeepEqual(other.publicSignals.slice(2), receipt.publicSignals.slice(2));
    assert.equal((await verifyOffchain(other, vk)).valid, true);
    // Its proof does not vouch for the first receipt's input.
    const swapped = { proof: other.proof, publicSignals: receipt.publicSignals };
    assert.equal((await verifyOffchain(swapped, vk)).valid, false);
  });
});
