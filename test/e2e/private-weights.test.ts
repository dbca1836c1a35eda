/**
 * Private weights on models/tiny and a copy with the same weights in another order (same
 * architecture, same widths, other weights):
 *  - the circuit is the same for both (its source holds no weight), the weights commitment differs;
 *  - a proof carries the published commitment; a proof about the other weights, made with the same
 *    key, is valid only for the other commitment: it does not verify against the old one;
 *  - a changed weight, or weights that pack to the same words but leave their range, violate the
 *    constraints; any weights within the committed ranges are computed exactly (bound analysis);
 *  - ZkmlRegistry pins the commitment at registration and refuses proofs about other weights;
 *  - the CLI prints the commitment and refuses a receipt about other weights.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { artifactPath, readJson, readManifest } from '../../src/formats/artifacts';
import { LocalChain, startAnvil } from '../../src/chain/anvil';
import { buildKeyProvenance } from '../../src/chain/key-provenance';
import { deployContract, registerModel, registryArtifact, registryAt, submitInference, withWallet } from '../../src/chain/registry';
import { loadVerifierArtifact } from '../../src/chain/verifier-artifact';
import { main as cli } from '../../src/cli/main';
import { weightsCommitment } from '../../src/commit/commitments';
import { verifyWeightsCommitment } from '../../src/commit/openings';
import * as scheme from '../../src/commit/scheme';
import { commitTensors } from '../../src/commit/scheme';
import { compileModel } from '../../src/compiler/compile';
import { readCompiled } from '../../src/formats/compiled-model';
import { emitCircuit } from '../../src/compiler/emit';
import { verifyWitness, computeWitness, loadR1cs, readSymFile } from '../../src/compiler/r1cs-check';
import { ZkmlError } from '../../src/errors';
import { loadOnnx } from '../../src/onnx/load';
import { Prover } from '../../src/prover/prover';
import type { Receipt } from '../../src/formats/receipt';
import { circuitInput, quantizeSample } from '../../src/quantize/codec';
import { fromField } from '../../src/formats/field';
import { readInput } from '../../src/formats/input-document';
import type { QuantizedModel } from '../../src/formats/quantized-model';
import { quantizeGraph } from '../../src/quantize/quantize';
import { runReference } from '../../src/quantize/reference';
import { parseSettings } from '../../src/formats/settings';
import { runSetup } from '../../src/setup/groth16-setup';
import { withSnarkjsCurve } from '../../src/snark/curve';
import { verifyOffchain } from '../../src/verifier/offchain';
import { seededRng } from '../helpers/circuit-harness';
import { inputFile, makeTempDir, modelFile, tinyWithWeights } from '../helpers/onnx-builders';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const snarkjs = require('snarkjs');

const inputDoc = JSON.parse(fs.readFileSync(inputFile('tiny'), 'utf8'));
const PRIVATE = { weightVisibility: 'private' as const };

/** The witness of `model` (its own weights unless `weights` replaces them) on the shared circuit. */
async function witnessOf(model: QuantizedModel, wasm: string, salt: bigint): Promise<bigint[]> {
  const q = quantizeSample(model, readInput(inputDoc, [{ name: 'x', elemType: 'float32', shape: [1, 4] }]));
  return computeWitness(circuitInput(model, q, { weights: salt }), wasm);
}

/** Stdout lines of an in-process CLI run, and its exit code. */
async function runCli(args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...parts: unknown[]) => lines.push(parts.join(' '));
  try {
    return { code: await cli(args), out: lines.join('\n') };
  } finally {
    console.log = log;
  }
}

describe('private weights on tiny', () => {
  let work: string;
  let a: string; // models/tiny, weights private, salt 7
  let b: string; // the reversed copy, weights private, salt 7
  let prover: Prover;
  let receipt: Receipt;
  let other: { proof: Receipt['proof']; publicSignals: string[] };

  before(async () => {
    work = makeTempDir('private-weights');
    a = path.join(work, 'a');
    b = path.join(work, 'b');
    // Same file name as models/tiny's: the source names the file it was generated from.
    const bOnnx = path.join(work, 'reversed', 'model.onnx');
    fs.mkdirSync(path.dirname(bOnnx));
    fs.writeFileSync(
      bOnnx,
      tinyWithWeights((data) => data.reverse()),
    );
    // No calibration: activation scales then do not depend on the weights, so both circuits can match.
    await compileModel(modelFile('tiny'), a, { settings: PRIVATE, weightsSalt: 7n });
    await compileModel(bOnnx, b, { settings: PRIVATE, weightsSalt: 7n });
    await runSetup(a, {});
    prover = new Prover();
  });
  after(async () => {
    await prover?.close();
    fs.rmSync(work, { recursive: true, force: true });
  });

  test('the circuit names the architecture (no weight in its source), the commitment names the weights', async () => {
    const [ma, mb] = [readManifest(a), readManifest(b)];
    assert.equal(ma.circuitSourceSha256, mb.circuitSourceSha256);
    assert.equal(ma.r1csSha256, mb.r1csSha256);
    assert.ok(ma.weightsCommitment && mb.weightsCommitment);
    assert.notEqual(ma.weightsCommitment, mb.weightsCommitment);

    // Fixed weights are coefficients `c*x...` of the source; private ones are signals `w[...]`.
    const graph = loadOnnx(fs.readFileSync(modelFile('tiny')));
    const fixedSource = emitCircuit(quantizeGraph(graph, parseSettings({}), []), 'tiny');
    const privateSource = fs.readFileSync(artifactPath(a, 'circuitSource'), 'utf8');
    assert.match(fixedSource, /-?\d+\*x\d+\[/);
    assert.doesNotMatch(privateSource, /-?\d+\*x\d+\[/);
    assert.match(privateSource, /signal input w\[23\]; \/\/ private weights/);

    // The commitment is the scheme over the weight groups, written out by hand; another salt, another commitment.
    const { model } = readCompiled(a);
    assert.deepEqual(
      model.params!.map((g) => [g.name, g.values.length]),
      [
        ['gemm1/weights', 12],
        ['gemm1/bias', 3],
        ['gemm2/weights', 6],
        ['gemm2/bias', 2],
      ],
    );
    const byHand = await commitTensors(
      7n,
      model.params!.map((g) => ({ spec: { name: g.name, size: g.values.length, lo: g.lo, width: g.width }, values: g.values })),
    );
    assert.equal(byHand.toString(), ma.weightsCommitment);
    assert.notEqual((await weightsCommitment(model, 8n)).toString(), ma.weightsCommitment);
    // An auditor with the ONNX file and the salt gets the same commitment: quantization is deterministic.
    assert.equal((await weightsCommitment(quantizeGraph(graph, parseSettings(PRIVATE), []), 7n)).toString(), ma.weightsCommitment);
  });

  test('prove: the published weights commitment is a public signal next to the outputs; the proof verifies', async () => {
    receipt = await prover.prove(a, inputDoc);
    const { model } = readCompiled(a);
    assert.deepEqual(
      receipt.model.publicLayout.map((e) => e.kind),
      ['output', 'weightsCommitment'],
    );
    assert.equal(receipt.publicSignals.length, 3);
    assert.equal(receipt.publicSignals[2], readManifest(a).weightsCommitment);
    assert.equal(receipt.commitments?.weights, readManifest(a).weightsCommitment);
    assert.equal(receipt.openings, undefined, 'the weights are never opened in a receipt');
    assert.ok(receipt.reference.integerReferenceMatches);
    assert.ok(receipt.reference.maxAbsError <= receipt.reference.tolerance);
    assert.equal((await verifyOffchain(receipt, readJson(artifactPath(a, 'vk')))).valid, true);
    assert.equal(verifyWeightsCommitment(model, receipt.publicSignals, readManifest(a).weightsCommitment).valid, true);
  });

  test('the weights are hashed once per loaded build: a second proof hashes nothing, and carries the same commitment', async (t) => {
    const hash = t.mock.method(scheme, 'commitTensors');
    const again = await prover.prove(a, inputDoc);
    assert.equal(hash.mock.callCount(), 0);
    assert.equal(again.commitments?.weights, readManifest(a).weightsCommitment);
  });

  test('a proof about other weights with the same key is valid for their commitment only, never the published one', async () => {
    const { model: mb } = readCompiled(b);
    other = await withSnarkjsCurve(async () => {
      const { proof, publicSignals } = await snarkjs.groth16.fullProve(
        circuitInput(mb, quantizeSample(mb, readInput(inputDoc, readCompiled(b).graphInputs)), { weights: 7n }),
        artifactPath(a, 'wasm'),
        artifactPath(a, 'zkey'),
      );
      return { proof, publicSignals: publicSignals as string[] };
    });
    const vk = readJson<object>(artifactPath(a, 'vk'));
    assert.equal(other.publicSignals[2], readManifest(b).weightsCommitment);
    assert.notDeepEqual(other.publicSignals.slice(0, 2), receipt.publicSignals.slice(0, 2), 'other weights, other outputs');
    assert.equal((await verifyOffchain(other, vk)).valid, true, 'a valid statement about the other weights');
    const check = verifyWeightsCommitment(readCompiled(a).model, other.publicSignals, readManifest(a).weightsCommitment);
    assert.equal(check.valid, false);
    assert.equal(check.code, 'WEIGHTS_COMMITMENT_MISMATCH');
    const claimed = { ...other, publicSignals: [...other.publicSignals.slice(0, 2), readManifest(a).weightsCommitment!] };
    assert.equal((await verifyOffchain(claimed, vk)).valid, false, 'the proof does not verify against the old commitment');
  });

  test('tampered witness: a changed weight, or weights packing to the same words out of range, violate the constraints', async () => {
    const { model } = readCompiled(a);
    const wasm = artifactPath(a, 'wasm');
    const r1cs = loadR1cs(artifactPath(a, 'r1cs'));
    const witness = await witnessOf(model, wasm, 7n);
    assert.ok(verifyWitness(r1cs, witness).ok);
    const sym = readSymFile(artifactPath(a, 'sym'));
    for (const i of [0, 5, 13, 22]) {
      const wire = sym.get(`main.w[${i}]`)!;
      const tampered = [...witness];
      tampered[wire] = witness[wire] + 1n;
      assert.equal(verifyWitness(r1cs, tampered).ok, false, `w[${i}] + 1 is refused`);
    }
    // w0 + 2^width and w1 − 1 give the same packed word: only the range checks tell them apart.
    const g = model.params![0];
    const forgedValues = [g.values[0] + (1n << BigInt(g.width)), g.values[1] - 1n, ...g.values.slice(2)];
    const word = (values: bigint[]): bigint => values.reduce((acc, v, k) => acc + ((v - g.lo) << BigInt(g.width * k)), 0n);
    assert.equal(word(forgedValues), word(g.values), 'the packing alone would not bind');
    const forged: QuantizedModel = { ...model, params: model.params!.map((p, k) => (k === 0 ? { ...p, values: forgedValues } : p)) };
    await assert.rejects(witnessOf(forged, wasm, 7n), /Assert Failed|Error/, `weights beyond [${g.lo}, ${g.lo + (1n << BigInt(g.width)) - 1n}] get no witness`);
  });

  test('any weights within the committed ranges: the circuit computes the integer reference exactly', async () => {
    const { model, graphInputs } = readCompiled(a);
    const wasm = artifactPath(a, 'wasm');
    const rng = seededRng(31);
    const q = quantizeSample(model, readInput(inputDoc, graphInputs));
    for (let draw = 0; draw < 6; draw++) {
      // Extremes first (every weight at its bound), then uniform draws.
      const pick = (lo: bigint, hi: bigint): bigint => (draw === 0 ? lo : draw === 1 ? hi : rng.int(lo, hi));
      const params = model.params!.map((g) => ({ ...g, values: g.values.map(() => pick(g.lo, g.lo + (1n << BigInt(g.width)) - 1n)) }));
      const variant: QuantizedModel = { ...model, params };
      const witness = await computeWitness(circuitInput(variant, q, { weights: 7n }), wasm);
      const expected = runReference(variant, q)[model.outputs[0].tensor];
      assert.deepEqual(
        witness.slice(1, 1 + expected.length).map((v) => fromField(v.toString())),
        expected,
        `draw ${draw}`,
      );
    }
  });

  test('registry on anvil: the commitment is pinned at registration; proofs about other weights are refused', async () => {
    const chain: LocalChain = await startAnvil();
    try {
      const run = <T>(fn: (w: Parameters<Parameters<typeof withWallet>[2]>[0]) => Promise<T>) => withWallet(chain.rpcUrl, chain.privateKey, fn);
      const m = readManifest(a);
      const { registry, modelId, verifier } = await run(async (w) => {
        const address = await deployContract(w, registryArtifact());
        const verifier = await deployContract(w, loadVerifierArtifact(a));
        const r = await registerModel(registryAt(address, w), {
          verifier,
          modelHash: m.onnxSha256,
          vkHash: m.vkSha256!,
          layout: receipt.model.publicLayout,
          weightsCommitment: m.weightsCommitment,
          provenance: buildKeyProvenance(a),
        });
        return { registry: address, modelId: r.modelId, verifier };
      });
      const unpinned = run(async (w) =>
        registerModel(registryAt(registry, w), { verifier, modelHash: m.onnxSha256, vkHash: m.vkSha256!, layout: receipt.model.publicLayout, provenance: buildKeyProvenance(a) }),
      );
      await assert.rejects(unpinned, (e: unknown) => e instanceof ZkmlError && e.details?.revert === 'BadWeightsCommitment', 'a private-weights model registers only with its commitment');
      const refused = async (signals: string[], name: string) =>
        assert.rejects(
          run((w) => submitInference(registryAt(registry, w), modelId, other.proof, signals)),
          (e: unknown) => e instanceof ZkmlError && e.details?.revert === name,
        );
      await refused(other.publicSignals, 'WrongWeights');
      await refused([...other.publicSignals.slice(0, 2), m.weightsCommitment!], 'ProofRejected');
      const accepted = await run((w) => submitInference(registryAt(registry, w), modelId, receipt.proof, receipt.publicSignals));
      assert.deepEqual(accepted.commitments, [BigInt(m.weightsCommitment!)]);
      assert.equal(await run(async (w) => String(await registryAt(registry, w).getFunction('weightsCommitmentOf')(modelId))), m.weightsCommitment);
    } finally {
      await chain.stop();
    }
  });

  test('CLI: zkml commit prints the weights commitment; zkml verify refuses a receipt about other weights', async () => {
    const c = await runCli(['commit', '--dir', a]);
    assert.equal(c.code, 0);
    assert.equal(JSON.parse(c.out).weightsCommitment, readManifest(a).weightsCommitment);
    const file = path.join(work, 'receipt.json');
    fs.writeFileSync(file, JSON.stringify(receipt));
    assert.equal((await runCli(['verify', file, '--dir', a])).code, 0);
    assert.notEqual((await runCli(['verify', file, '--dir', a, '--weights-commitment', readManifest(b).weightsCommitment!])).code, 0);
    fs.writeFileSync(file, JSON.stringify({ ...receipt, proof: other.proof, publicSignals: other.publicSignals }));
    assert.notEqual((await runCli(['verify', file, '--dir', a])).code, 0);
  });

  test('a tampered compiled.json (other weights than the manifest commits to) gets no receipt', async () => {
    const file = artifactPath(a, 'compiled');
    const original = fs.readFileSync(file, 'utf8');
    try {
      const doc = JSON.parse(original);
      doc.weights.commitment = readManifest(b).weightsCommitment;
      fs.writeFileSync(file, JSON.stringify(doc));
      const fresh = new Prover();
      try {
        await assert.rejects(fresh.prove(a, inputDoc), (e: unknown) => e instanceof ZkmlError && e.code === 'ARTIFACT_HASH_MISMATCH');
      } finally {
        await fresh.close();
      }
    } finally {
      fs.writeFileSync(file, original);
    }
  });
});
