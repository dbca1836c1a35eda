/**
 * Hashed visibility and on-chain settlement on models/tiny:
 *  - hashed input + hashed output: commitments equal circomlibjs over the quantized integers, the
 *    private input is in no public signal, a tampered witness fails, other inputs or salts give other
 *    commitments, a proof does not verify against an old commitment, openings are checked;
 *  - a batch of 4 (hashed input, public output): one proof, one input commitment for all items;
 *  - ZkmlRegistry on anvil: valid accepted and decoded; tampered proof, tampered signal, signal + r,
 *    proof of another model and replay refused; the example consumer settles a result.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import type { Contract, Signer } from 'ethers';
import { artifactPath, readJson, readManifest } from '../../src/formats/artifacts';
import type { LocalChain } from '../../src/chain/anvil';
import { buildKeyProvenance } from '../../src/chain/key-provenance';
import { compileContract, deployContract, proofWords, registerModel, registryArtifact, registryAt, submitInference, withWallet } from '../../src/chain/registry';
import { loadVerifierArtifact } from '../../src/chain/verifier-artifact';
import { main as cli } from '../../src/cli/main';
import { evaluateBatch, modelCommitments, readBatch } from '../../src/commit/commitments';
import { verifyOpenings } from '../../src/commit/openings';
import { commitTensors } from '../../src/commit/scheme';
import { compileModel } from '../../src/compiler/compile';
import { readCompiled } from '../../src/formats/compiled-model';
import { verifyWitness, computeWitness, loadR1cs, readSymFile } from '../../src/compiler/r1cs-check';
import { ZkmlError } from '../../src/errors';
import type { Prover } from '../../src/prover/prover';
import type { Receipt } from '../../src/formats/receipt';
import * as bounds from '../../src/quantize/bounds';
import { circuitInput } from '../../src/quantize/codec';
import { toField } from '../../src/formats/field';
import { runSetup } from '../../src/setup/groth16-setup';
import { BN254_R } from '../../src/formats/field';
import { verifyOffchain } from '../../src/verifier/offchain';
import { calibrationFile, inputFile, modelFile } from '../helpers/onnx-builders';
import { compileTinyCircuit, proveTiny } from '../helpers/tiny-circuit';
import { e2eFixture } from '../helpers/e2e-fixture';

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
const inputDoc = JSON.parse(fs.readFileSync(inputFile('tiny'), 'utf8'));
const calibration = JSON.parse(fs.readFileSync(calibrationFile('tiny'), 'utf8')) as { input_data: number[][] };
const sample = (i: number): unknown => ({ input_data: [calibration.input_data[i]] });

describe('hashed visibility, batch proofs and the registry on tiny', () => {
  let work: string;
  let hashed: string; // input hashed, output hashed
  let batch: string; // input hashed, output public, batch of 4
  let prover: Prover;
  let chain: LocalChain;
  let r1: Receipt;
  let rb: Receipt;
  const fixture = e2eFixture('commit');

  before(() => {
    ({ work, prover, chain } = fixture);
    hashed = path.join(work, 'hashed');
    batch = path.join(work, 'batch');
  });

  test('compile hashed/hashed: two public signals, hashing cost predicted exactly', async () => {
    const r = await compileModel(modelFile('tiny'), hashed, { settings: { inputVisibility: 'hashed', outputVisibility: 'hashed' }, calibration: calibrationFile('tiny') });
    assert.equal(r.publicSignals, 2);
    assert.equal(r.report.predictedPublicSignals, 2);
    assert.equal(r.report.predictedConstraints, r.constraints);
    assert.deepEqual(
      r.report.commitments.map((c) => [c.side, c.elements, c.words, c.constraints]),
      [
        ['input', 4, 1, 240],
        ['output', 2, 1, 240],
      ],
    );
    await runSetup(hashed, {});
  });

  test('prove: the commitments are circomlibjs Poseidon over the quantized integers the circuit used', async () => {
    r1 = await prover.prove(hashed, inputDoc, { input: 11n, output: 22n });
    const { model, graphInputs } = readCompiled(hashed);
    const values = evaluateBatch(model, readBatch(inputDoc, model, graphInputs));
    const x = values.inputs[0].get(model.inputs[0].tensor)!;
    // Golden values from the scheme written out by hand: 4 input integers of 8 bits from -128, 2 outputs
    // of 11 bits from the output bound (-1478).
    const input = await commitTensors(11n, [{ spec: { name: 'x', size: 4, lo: -128n, width: 8 }, values: x }]);
    const output = await commitTensors(22n, [{ spec: { name: 'y', size: 2, lo: -1478n, width: 11 }, values: values.outputs[0] }]);
    assert.deepEqual(r1.publicSignals, [input.toString(), output.toString()]);
    assert.deepEqual(r1.commitments, { input: input.toString(), output: output.toString() });
    assert.deepEqual(r1.openings?.inputs?.[0].integers, x.map(String));
    assert.deepEqual(
      r1.model.publicLayout.map((e) => e.kind),
      ['inputCommitment', 'outputCommitment'],
    );
    assert.equal((await verifyOffchain(r1, readJson(artifactPath(hashed, 'vk')))).valid, true);
  });

  test('the private input appears in no public signal', () => {
    const x = r1.openings!.inputs![0].integers.map((v) => toField(BigInt(v)));
    const y = r1.openings!.outputs![0].integers.map((v) => toField(BigInt(v)));
    for (const v of [...x, ...y, r1.openings!.inputSalt!, r1.openings!.outputSalt!]) assert.ok(!r1.publicSignals.includes(v), `${v} is public`);
    assert.deepEqual(r1.publicInputs, []);
    assert.equal((readJson(artifactPath(hashed, 'vk')) as { nPublic: number }).nPublic, 2);
  });

  test('tampered witness: a changed commitment, input or salt violates the constraints', async () => {
    const { model } = readCompiled(hashed);
    const values = evaluateBatch(model, readBatch(inputDoc, model, readCompiled(hashed).graphInputs));
    const w = await computeWitness(circuitInput(model, values.inputs, { input: 11n, output: 22n }), artifactPath(hashed, 'wasm'));
    const r1cs = loadR1cs(artifactPath(hashed, 'r1cs'));
    const sym = readSymFile(artifactPath(hashed, 'sym'));
    assert.equal(verifyWitness(r1cs, w).ok, true);
    for (const name of ['main.inputCommitment', 'main.outputCommitment', 'main.x0[0]', 'main.x0[3]', 'main.inputSalt', 'main.outputSalt']) {
      const wire = sym.get(name)!;
      assert.ok(wire > 0, `${name} kept`);
      const bad = w.slice();
      bad[wire] = (bad[wire] + 1n) % BN254_R;
      assert.equal(verifyWitness(r1cs, bad).ok, false, `${name} + 1 accepted`);
    }
  });

  test('other inputs or salts give other commitments; a proof does not verify against the old commitment', async () => {
    const vk = readJson<object>(artifactPath(hashed, 'vk'));
    const r2 = await prover.prove(hashed, sample(3), { input: 11n, output: 22n });
    assert.notEqual(r2.publicSignals[0], r1.publicSignals[0]);
    assert.notEqual(r2.publicSignals[1], r1.publicSignals[1]);
    const r3 = await prover.prove(hashed, inputDoc, { input: 12n, output: 22n });
    assert.notEqual(r3.publicSignals[0], r1.publicSignals[0], 'a new salt, a new input commitment');
    assert.equal(r3.publicSignals[1], r1.publicSignals[1], 'same output, same salt');
    for (const old of [r1.publicSignals, [r1.publicSignals[0], r2.publicSignals[1]], [r2.publicSignals[0], r1.publicSignals[1]]]) {
      const v = await verifyOffchain({ proof: r2.proof, publicSignals: old }, vk);
      assert.equal(v.valid, false);
      assert.equal(v.code, 'PROOF_INVALID');
    }
    const fresh = await prover.prove(hashed, inputDoc);
    assert.notEqual(fresh.openings!.inputSalt, r1.openings!.inputSalt, 'salts are random by default');
  });

  test('the bound analysis behind the output commitment runs once per model: proofs of a loaded build and repeated openings reuse it', async (t) => {
    const analyze = t.mock.method(bounds, 'analyzeLayer');
    await prover.prove(hashed, sample(5), { input: 11n, output: 22n });
    await prover.prove(hashed, sample(6));
    assert.equal(analyze.mock.callCount(), 0, 'the prover loaded this build (and its layout) already');
    const { model } = readCompiled(hashed);
    for (let i = 0; i < 2; i++) assert.equal((await verifyOpenings(r1, model)).valid, true);
    assert.equal(analyze.mock.callCount(), model.layers.length, 'one analysis of a freshly read model');
  });

  test("openings: verify accepts the holder's values and refuses changed values, aliases and salts", async () => {
    const { model } = readCompiled(hashed);
    assert.deepEqual(await verifyOpenings(r1, model), { valid: true, reason: 'the opened input and output values match their commitments', opened: ['input', 'output'] });
    const refused = async (edit: (r: Receipt) => void, code: string): Promise<void> => {
      const r = clone(r1);
      edit(r);
      const v = await verifyOpenings(r, model);
      assert.equal(v.valid, false);
      assert.equal(v.code, code, v.reason);
    };
    await refused((r) => (r.openings!.inputs![0].integers[0] = String(BigInt(r.openings!.inputs![0].integers[0]) + 1n)), 'COMMITMENT_MISMATCH');
    // (x0 + 256, x1 - 1) packs to the same word: refused by the range check, not by the hash.
    await refused((r) => {
      const xs = r.openings!.inputs![0].integers;
      xs[0] = String(BigInt(xs[0]) + 256n);
      xs[1] = String(BigInt(xs[1]) - 1n);
    }, 'OPENING_INVALID');
    await refused((r) => (r.openings!.outputSalt = '23'), 'COMMITMENT_MISMATCH');
    await refused((r) => (r.outputs[0].values[0] += 1), 'COMMITMENT_MISMATCH');
    await refused((r) => (r.openings!.inputs![0].integers = ['1', '2']), 'OPENING_INVALID');
    const bare = clone(r1);
    delete bare.openings;
    assert.equal((await verifyOpenings(bare, model)).valid, true, 'nothing opened is fine: the proof alone is checked');
  });

  test('zkml commit prints the commitments the proof carries', async () => {
    const lines: string[] = [];
    const log = console.log;
    console.log = (s: string) => void lines.push(s);
    try {
      assert.equal(await cli(['commit', inputFile('tiny'), '--dir', hashed, '--input-salt', '11', '--output-salt', '0x16']), 0);
    } finally {
      console.log = log;
    }
    const out = JSON.parse(lines.join('\n'));
    assert.equal(out.inputCommitment, r1.publicSignals[0]);
    assert.equal(out.outputCommitment, r1.publicSignals[1]);
  });

  test('batch of 4 (hashed input, public output): one proof, one commitment to all four inputs', async () => {
    const r = await compileModel(modelFile('tiny'), batch, { settings: { inputVisibility: 'hashed', batchSize: 4 }, calibration: calibrationFile('tiny') });
    assert.equal(r.publicSignals, 4 * 2 + 1);
    assert.equal(r.report.predictedConstraints, r.constraints);
    await runSetup(batch, {});
    const doc = { input_data: calibration.input_data.slice(0, 4) };
    rb = await prover.prove(batch, doc, { input: 5n });
    const { model, graphInputs } = readCompiled(batch);
    const values = evaluateBatch(model, readBatch(doc, model, graphInputs));
    assert.deepEqual(rb.publicSignals.slice(0, 8), values.outputs[0].map(toField));
    assert.equal(rb.publicSignals[8], (await modelCommitments(model, values, { input: 5n })).input!.toString());
    assert.deepEqual(rb.outputs[0].shape, [4, 1, 2]);
    await assert.rejects(prover.prove(batch, { input_data: calibration.input_data.slice(0, 3) }), (e: unknown) => e instanceof ZkmlError && e.code === 'INPUT_INVALID');
  });

  describe('ZkmlRegistry on anvil', () => {
    const run = <T>(fn: (w: Signer) => Promise<T>): Promise<T> => withWallet(chain.rpcUrl, chain.privateKey, fn);
    let registryAddress: string;
    const ids: Record<string, bigint> = {};
    let other: { proof: Receipt['proof']; publicSignals: string[] };

    const refusedWith = async (fn: (registry: Contract) => Promise<unknown>, revert: string): Promise<void> => {
      await assert.rejects(
        run((w) => fn(registryAt(registryAddress, w))),
        (e: unknown) => e instanceof ZkmlError && e.details?.revert === revert,
      );
    };

    before(async () => {
      // Another model with two public signals: the hand-written c = a*a*b + b circuit.
      const otherDir = compileTinyCircuit();
      await runSetup(otherDir, {});
      other = await proveTiny(otherDir);
      await run(async (w) => {
        registryAddress = await deployContract(w, registryArtifact());
        const registry = registryAt(registryAddress, w);
        const cases: Array<[string, string, Receipt['model']['publicLayout']]> = [
          ['hashed', hashed, r1.model.publicLayout],
          ['batch', batch, rb.model.publicLayout],
          [
            'other',
            otherDir,
            [
              { kind: 'output', name: 'c', shape: [1], scaleBits: 0 },
              { kind: 'input', name: 'b', shape: [1], scaleBits: 0 },
            ],
          ],
        ];
        for (const [name, dir, layout] of cases) {
          const verifier = await deployContract(w, loadVerifierArtifact(dir));
          const m = readManifest(dir);
          ids[name] = (await registerModel(registry, { verifier, modelHash: m.onnxSha256, vkHash: m.vkSha256!, layout, provenance: buildKeyProvenance(dir) })).modelId;
        }
      });
      fs.rmSync(otherDir, { recursive: true, force: true });
    });

    test('valid: accepted once, outputs decoded as signed integers, commitments returned', async () => {
      const a = await run((w) => submitInference(registryAt(registryAddress, w), ids.batch, rb.proof, rb.publicSignals));
      const { model } = readCompiled(batch);
      assert.deepEqual(
        a.outputs,
        rb.outputs[0].values.map((v) => BigInt(Math.round(v * 2 ** model.outputs[0].scaleBits))),
      );
      assert.ok(
        a.outputs.some((v) => v < 0n),
        'a negative output decodes as negative',
      );
      assert.deepEqual(a.commitments, [BigInt(rb.publicSignals[8])]);
      const h = await run((w) => submitInference(registryAt(registryAddress, w), ids.hashed, r1.proof, r1.publicSignals));
      assert.deepEqual(h.outputs, []);
      assert.deepEqual(h.commitments, r1.publicSignals.map(BigInt));
      assert.equal(await run((w) => registryAt(registryAddress, w).getFunction('isAccepted')(ids.hashed, r1.publicSignals)), true);
    });

    test('replay: the same signals are refused with the same or any other proof', async () => {
      await refusedWith((reg) => submitInference(reg, ids.hashed, r1.proof, r1.publicSignals), 'AlreadyAccepted');
      const words = proofWords(r1.proof);
      await refusedWith((reg) => submitInference(reg, ids.hashed, [...words.slice(0, 6), ...words.slice(0, 2)], r1.publicSignals), 'AlreadyAccepted');
    });

    test("tampered proof, tampered signal, signal + r, another model's proof: refused", async () => {
      const r = await prover.prove(hashed, sample(5));
      const words = proofWords(r.proof);
      // pi_c replaced by pi_a: still a curve point, the pairing fails.
      await refusedWith((reg) => submitInference(reg, ids.hashed, [...words.slice(0, 6), ...words.slice(0, 2)], r.publicSignals), 'ProofRejected');
      await refusedWith((reg) => submitInference(reg, ids.hashed, words, [r.publicSignals[0], (BigInt(r.publicSignals[1]) ^ 1n).toString()]), 'ProofRejected');
      await refusedWith((reg) => submitInference(reg, ids.hashed, words, [r.publicSignals[0], (BigInt(r.publicSignals[1]) + BN254_R).toString()]), 'SignalNotInField');
      await refusedWith((reg) => submitInference(reg, ids.hashed, other.proof, other.publicSignals), 'ProofRejected');
      await refusedWith((reg) => submitInference(reg, ids.other, r.proof, r.publicSignals), 'ProofRejected');
      await refusedWith((reg) => submitInference(reg, ids.batch, r.proof, r.publicSignals), 'WrongSignalCount');
      await refusedWith((reg) => submitInference(reg, 99n, r.proof, r.publicSignals), 'UnknownModel');
      // After all that, the untampered submission still goes through.
      const ok = await run((w) => submitInference(registryAt(registryAddress, w), ids.hashed, r.proof, r.publicSignals));
      assert.deepEqual(ok.commitments, r.publicSignals.map(BigInt));
      const accepted = await run((w) => submitInference(registryAt(registryAddress, w), ids.other, other.proof, other.publicSignals));
      assert.deepEqual(accepted.outputs, [BigInt(other.publicSignals[0])]);
    });

    test('CLI: zkml registry deploy, register and submit on an RPC URL with a key', async () => {
      const printed = async (args: string[]): Promise<Record<string, string>> => {
        const lines: string[] = [];
        const log = console.log;
        console.log = (s: string) => void lines.push(s);
        try {
          assert.equal(await cli([...args, '--rpc', chain.rpcUrl, '--key', chain.privateKey]), 0);
        } finally {
          console.log = log;
        }
        return JSON.parse(lines.join('\n'));
      };
      const { registry } = await printed(['registry', 'deploy']);
      const { modelId, keyProvenance } = await printed(['registry', 'register', hashed, '--registry', registry]);
      assert.equal(modelId, '0');
      // register passes the build's key provenance; `registry provenance DIR` reads it back and compares.
      assert.deepEqual(keyProvenance, buildKeyProvenance(hashed));
      const read = await printed(['registry', 'provenance', hashed, '--registry', registry, '--model-id', modelId]);
      assert.deepEqual(read, { keyProvenance: buildKeyProvenance(hashed), mismatches: [] });
      const receiptFile = path.join(work, 'r4.json');
      const r4 = await prover.prove(hashed, sample(7));
      fs.writeFileSync(receiptFile, JSON.stringify(r4));
      const accepted = await printed(['registry', 'submit', receiptFile, '--registry', registry, '--model-id', modelId]);
      assert.deepEqual(accepted.commitments, r4.publicSignals);
      // A replay through the CLI fails with one error line and a non-zero exit.
      const err = process.stderr.write;
      let line = '';
      process.stderr.write = ((s: string) => ((line += s), true)) as typeof process.stderr.write;
      try {
        assert.equal(await cli(['registry', 'submit', receiptFile, '--registry', registry, '--model-id', modelId, '--rpc', chain.rpcUrl, '--key', chain.privateKey]), 1);
      } finally {
        process.stderr.write = err;
      }
      assert.match(line, /^error CHAIN_ERROR: the registry refused: AlreadyAccepted/);
    });

    test('the example consumer settles a result through the registry', async () => {
      const rb2 = await prover.prove(batch, { input_data: calibration.input_data.slice(4, 8) });
      await run(async (w) => {
        const artifact = compileContract('examples/ThresholdConsumer.sol', 'ThresholdConsumer');
        const address = await deployContract(w, artifact, [registryAddress, ids.batch, -100000, 0]);
        const { Contract: C } = await import('ethers');
        const consumer = new C(address, artifact.abi as never, w);
        await (await consumer.getFunction('settle')(rb2.publicSignals, proofWords(rb2.proof))).wait();
        assert.equal(await consumer.getFunction('approved')(rb2.publicSignals[8]), true);
      });
    });

    test('the example consumer settles a result someone else submitted first (reads it, no revert)', async () => {
      const rb3 = await prover.prove(batch, { input_data: calibration.input_data.slice(8, 12) });
      // A third party submits the proof straight to the registry first.
      const first = await run((w) => submitInference(registryAt(registryAddress, w), ids.batch, rb3.proof, rb3.publicSignals));
      await run(async (w) => {
        const artifact = compileContract('examples/ThresholdConsumer.sol', 'ThresholdConsumer');
        const address = await deployContract(w, artifact, [registryAddress, ids.batch, -100000, 0]);
        const { Contract: C } = await import('ethers');
        const consumer = new C(address, artifact.abi as never, w);
        const receipt = await (await consumer.getFunction('settle')(rb3.publicSignals, proofWords(rb3.proof))).wait();
        const decision = receipt.logs.map((l: never) => consumer.interface.parseLog(l)).find((e: { name?: string } | null) => e?.name === 'Decision');
        assert.equal(decision.args.score, first.outputs[0], 'the accepted result, as the registry decoded it');
        assert.equal(await consumer.getFunction('approved')(rb3.publicSignals[8]), true);
        // A proof the registry never accepted is still verified: a tampered one is refused.
        const bad = proofWords(rb3.proof);
        await assert.rejects(consumer.getFunction('settle')([...rb3.publicSignals.slice(0, -1), '7'], bad));
      });
    });
  });
});
