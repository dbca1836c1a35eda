/**
 * The API on hashed builds and on-chain deployment, in this process (SQLite, in-process queue):
 *  - compile settings validated at submission and shown with the public-signal layout and the
 *    commitment scheme; a hashed input + output build of models/tiny, and a batch-of-2 build of
 *    models/tiny-matmul (hashed input, public output);
 *  - proofs with and without given salts: the receipt's commitments equal modelCommitments computed
 *    off-circuit; the openings go to the requesting key only (single proofs and batches);
 *  - bad salts refused at submission with 400 problem+json and their code;
 *  - calldata equals what `zkml calldata` prints;
 *  - deployment of the verifier and a ZkmlRegistry to an anvil given as the configured chain:
 *    stored with the model, idempotent, force deploys again; the receipt verifies on-chain through
 *    /v1/verify and is accepted by the registry.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { JsonRpcProvider } from 'ethers';
import { LocalChain, startAnvil } from '../../src/chain/anvil';
import { registryAt, submitInference, withWallet } from '../../src/chain/registry';
import { loadVerifierArtifact } from '../../src/chain/verifier-artifact';
import { getDeployedCode, solidityCallArgs } from '../../src/chain/verifier-contract';
import { main as cli } from '../../src/cli/main';
import { evaluateBatch, modelCommitments, readBatch, Salts } from '../../src/commit/commitments';
import { COMMITMENT_SCHEME } from '../../src/commit/scheme';
import { artifactPath } from '../../src/formats/artifacts';
import { readCompiled } from '../../src/formats/compiled-model';
import { circuitInput, quantizeSample } from '../../src/quantize/codec';
import { readInput } from '../../src/formats/input-document';
import { withSnarkjsCurve } from '../../src/snark/curve';
import { loadConfig } from '../../src/service/config';
import { createLogger } from '../../src/service/log';
import { startServer, Server } from '../../src/service/server';
import { BN254_R } from '../../src/formats/field';
import { calibrationFile, makeTempDir, modelFile, tinyWithWeights } from '../helpers/onnx-builders';
import { http, TINY_INPUT, tinyCalibration, tinyInputs, tinyOnnx, waitFor, waitForBatch } from '../helpers/service';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const snarkjs = require('snarkjs');
const ADMIN = 'admin-key-0123456789abcdef';
const ALICE = 'alice-key-0123456789abcdef';
const BOB = 'bob-key-0123456789abcdef-x';
const READER = 'reader-key-0123456789abcdef';
const matmulCalibration = JSON.parse(fs.readFileSync(calibrationFile('tiny-matmul'), 'utf8')) as { input_data: number[][] };
/** An input of the batch-of-2 build: two samples. */
const PAIR = { input_data: matmulCalibration.input_data.slice(0, 2) };

describe('service API: hashed builds, openings, calldata, deployment', () => {
  let dir: string;
  let chain: LocalChain;
  let server: Server;
  let base: string;
  let tinyId: string;
  let batchId: string;
  let given: any; // Alice's receipt proved with her salts
  let givenJob: string;
  const admin = { authorization: `Bearer ${ADMIN}` };
  const alice = { 'x-api-key': ALICE };
  const bob = { 'x-api-key': BOB };
  const reader = { 'x-api-key': READER };

  const buildDir = (id: string): string => server.runtime.engine.artifacts.buildDir(id);

  /** What the circuit must commit to for this input and these salts, computed off-circuit. */
  async function expectedCommitments(modelId: string, input: unknown, salts: Salts): Promise<{ input?: string; output?: string }> {
    const { model, graphInputs } = readCompiled(buildDir(modelId));
    const c = await modelCommitments(model, evaluateBatch(model, readBatch(input, model, graphInputs)), salts);
    return { ...(c.input !== undefined ? { input: c.input.toString() } : {}), ...(c.output !== undefined ? { output: c.output.toString() } : {}) };
  }

  async function proved(body: unknown, who: Record<string, string>): Promise<{ id: string; job: any }> {
    const r = await http(base, 'POST', '/v1/proofs', body, who);
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const job = await waitFor('the proof', async () => {
      const p = await http(base, 'GET', `/v1/proofs/${r.body.id}`, undefined, who);
      assert.notEqual(p.body.state, 'failed', JSON.stringify(p.body.error));
      return p.body.state === 'done' && p.body;
    });
    return { id: r.body.id, job };
  }

  async function compiled(onnx: Uint8Array, name: string, body: unknown): Promise<string> {
    const up = await http(base, 'POST', `/v1/models?name=${name}`, onnx, admin);
    assert.equal(up.status, 201);
    const c = await http(base, 'POST', `/v1/models/${up.body.id}/compile`, body, admin);
    assert.equal(c.status, 202, JSON.stringify(c.body));
    return up.body.id;
  }

  async function ready(id: string): Promise<any> {
    return waitFor(
      `model ${id.slice(0, 8)} ready`,
      async () => {
        const m = await http(base, 'GET', `/v1/models/${id}`, undefined, reader);
        if (m.body.status === 'failed') throw new Error(`compile failed: ${JSON.stringify(m.body.error)}`);
        return m.body.status === 'ready' && m.body;
      },
      180_000,
      250,
    );
  }

  before(async () => {
    dir = makeTempDir('service-commit');
    chain = await startAnvil();
    server = await startServer(
      loadConfig({
        PORT: '0',
        ZKML_DATA_DIR: dir,
        ZKML_MODELS_DIR: path.join(dir, 'no-shipped-models'),
        ZKML_API_KEYS: `${ADMIN}=admin,prove,read;${ALICE}=prove,read;${BOB}=prove,read;${READER}=read`,
        ZKML_PROVER_THREADS: '1',
        ZKML_CHAIN_RPC_URL: chain.rpcUrl,
        ZKML_CHAIN_PRIVATE_KEY: chain.privateKey,
      }),
      createLogger('silent'),
    );
    base = server.url;
  });
  after(async () => {
    await server?.close();
    await chain?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('compile: settings are refused at submission when invalid; a ready model shows its settings, public layout and commitment scheme', async () => {
    const up = await http(base, 'POST', '/v1/models?name=tiny', tinyOnnx(), admin);
    for (const settings of [{ inputVisibility: 'secret' }, { batchSize: 0 }, { unknownSetting: 1 }]) {
      const bad = await http(base, 'POST', `/v1/models/${up.body.id}/compile`, { settings }, admin);
      assert.equal(bad.status, 400, JSON.stringify(settings));
      assert.equal(bad.body.code, 'SETTINGS_INVALID');
    }
    assert.equal((await http(base, 'GET', `/v1/models/${up.body.id}`, undefined, reader)).body.status, 'uploaded', 'no compile job was made');

    tinyId = await compiled(tinyOnnx(), 'tiny', { settings: { inputVisibility: 'hashed', outputVisibility: 'hashed' }, calibration: tinyCalibration() });
    // models/tiny-matmul: a batch of 2 inferences per proof, one commitment to both inputs, public outputs.
    batchId = await compiled(fs.readFileSync(modelFile('tiny-matmul')), 'tiny-matmul', { settings: { inputVisibility: 'hashed', batchSize: 2 }, calibration: matmulCalibration });

    const m = await ready(tinyId);
    assert.equal(m.settings.inputVisibility, 'hashed');
    assert.equal(m.settings.outputVisibility, 'hashed');
    assert.equal(m.settings.weightVisibility, 'fixed');
    assert.equal(m.settings.batchSize, 1);
    assert.deepEqual(
      m.publicLayout.map((e: any) => [e.kind, e.size]),
      [
        ['inputCommitment', 1],
        ['outputCommitment', 1],
      ],
    );
    assert.equal(m.commitmentScheme, COMMITMENT_SCHEME);
    assert.equal(m.deployment, null);

    const b = await ready(batchId);
    assert.equal(b.settings.batchSize, 2);
    assert.deepEqual(
      b.publicLayout.map((e: any) => [e.kind, e.shape]),
      [
        ['output', [2, 1, 2]],
        ['inputCommitment', [1]],
      ],
    );

    const docs = (await http(base, 'GET', '/docs-json')).body;
    const compileBody = docs.paths['/v1/models/{id}/compile'].post.requestBody.content['application/json'].schema;
    assert.deepEqual(compileBody.properties.settings.properties.inputVisibility.enum, ['public', 'private', 'hashed']);
    assert.equal(compileBody.properties.settings.properties.batchSize.minimum, 1);
    for (const p of ['/v1/models/{id}/deploy', '/v1/proofs/{id}/calldata']) assert.ok(docs.paths[p], `OpenAPI has ${p}`);
    assert.ok(docs.paths['/v1/proofs'].post.requestBody.content['application/json'].schema.properties.salts, 'OpenAPI documents salts');
  });

  test('prove with given salts and without: the commitments are the ones computed off-circuit', async () => {
    const salts = { input: '0x1234abcd', output: '987654321' };
    const a = await proved({ modelId: tinyId, input: TINY_INPUT, salts }, alice);
    given = a.job.receipt;
    givenJob = a.id;
    assert.deepEqual(a.job.withheld, []);
    assert.equal(given.openings.inputSalt, String(0x1234abcd));
    assert.equal(given.openings.outputSalt, '987654321');
    const expected = await expectedCommitments(tinyId, TINY_INPUT, { input: 0x1234abcdn, output: 987654321n });
    assert.deepEqual(given.commitments, expected);
    assert.deepEqual(given.publicSignals, [expected.input, expected.output], 'the commitments are the public signals');

    // Without salts: random ones, returned in the openings, and other commitments for the same input.
    const r = (await proved({ modelId: tinyId, input: TINY_INPUT }, alice)).job.receipt;
    assert.notEqual(r.openings.inputSalt, given.openings.inputSalt);
    assert.deepEqual(r.commitments, await expectedCommitments(tinyId, TINY_INPUT, { input: BigInt(r.openings.inputSalt), output: BigInt(r.openings.outputSalt) }));
    assert.notEqual(r.commitments.input, given.commitments.input);

    // A batch-of-2 build: one proof over both samples, one input commitment, the outputs public.
    const rb = (await proved({ modelId: batchId, input: PAIR, salts: { input: '77' } }, alice)).job.receipt;
    assert.equal(rb.model.batchSize, 2);
    assert.deepEqual(rb.commitments, await expectedCommitments(batchId, PAIR, { input: 77n }));
    assert.equal(rb.outputs[0].values.length, 4);
  });

  test('openings go only to the key that requested the proof; the rest of the receipt verifies without them', async () => {
    for (const who of [bob, reader]) {
      const p = await http(base, 'GET', `/v1/proofs/${givenJob}`, undefined, who);
      assert.equal(p.status, 200);
      assert.deepEqual(p.body.withheld, ['openings', 'outputs', 'reference']);
      assert.equal(p.body.receipt.openings, undefined);
      assert.equal(p.body.receipt.outputs, undefined, 'a hashed output is not shown');
      assert.equal(p.body.receipt.reference, undefined, "onnxruntime's outputs would reveal it");
      assert.deepEqual(p.body.receipt.commitments, given.commitments);
      assert.equal(p.body.requester, undefined, 'who asked is not shown');
      const v = await http(base, 'POST', '/v1/verify', { receipt: p.body.receipt }, who);
      assert.deepEqual([v.body.valid, v.body.opened], [true, undefined]);
    }
    // The owner's full receipt verifies with its openings checked; a wrong salt fails.
    const v = await http(base, 'POST', '/v1/verify', { receipt: given }, reader);
    assert.equal(v.body.valid, true, v.body.reason);
    assert.deepEqual(v.body.opened, ['input', 'output']);
    const tampered = structuredClone(given);
    tampered.openings.inputSalt = '1';
    const bad = await http(base, 'POST', '/v1/verify', { receipt: tampered }, reader);
    assert.deepEqual([bad.body.valid, bad.body.code], [false, 'COMMITMENT_MISMATCH']);
    // Hashed outputs are bound through the opening: the reference figures are checked against it, a
    // non-array outputs is malformed, and outputs without the opening cannot be checked.
    const figures = structuredClone(given);
    figures.reference.maxAbsError += 0.5;
    const badFigure = await http(base, 'POST', '/v1/verify', { receipt: figures }, reader);
    assert.deepEqual([badFigure.body.valid, badFigure.body.code, badFigure.body.field], [false, 'RECEIPT_MISMATCH', 'reference.maxAbsError']);
    const notArray = structuredClone(given);
    notArray.outputs = { y: [3, 9.5] };
    const malformed = await http(base, 'POST', '/v1/verify', { receipt: notArray }, reader);
    assert.deepEqual([malformed.body.valid, malformed.body.code], [false, 'RECEIPT_INVALID']);
    const unopened = structuredClone(given);
    delete unopened.openings;
    const unbound = await http(base, 'POST', '/v1/verify', { receipt: unopened }, reader);
    assert.deepEqual([unbound.body.valid, unbound.body.code, unbound.body.field], [false, 'RECEIPT_MISMATCH', 'outputs']);

    // Batches: salts per item; the openings are the requester's there too.
    const inputs = tinyInputs(2);
    const b = await http(base, 'POST', '/v1/batches', { modelId: tinyId, inputs, salts: [{ input: '5', output: '6' }, {}] }, alice);
    assert.equal(b.status, 202, JSON.stringify(b.body));
    await waitForBatch(base, b.body.id, 2, 'the batch', reader);
    const mine = (await http(base, 'GET', `/v1/batches/${b.body.id}`, undefined, alice)).body.items;
    assert.deepEqual([mine[0].receipt.openings.inputSalt, mine[0].receipt.openings.outputSalt], ['5', '6']);
    assert.deepEqual(mine[0].receipt.commitments, await expectedCommitments(tinyId, inputs[0], { input: 5n, output: 6n }));
    assert.ok(mine[1].receipt.openings.inputSalt, 'a random salt for the item without one');
    const theirs = (await http(base, 'GET', `/v1/batches/${b.body.id}`, undefined, bob)).body.items;
    for (const item of theirs) {
      assert.deepEqual(item.withheld, ['openings', 'outputs', 'reference']);
      assert.equal(item.receipt.openings, undefined);
    }
  });

  test('bad salts are refused at submission: 400 problem+json with the code, no job made', async () => {
    const active = await server.runtime.store.countActive();
    const cases: Array<[string, unknown, unknown, string, RegExp]> = [
      [tinyId, TINY_INPUT, { input: 'abc' }, 'OPENING_INVALID', /salts\.input/],
      [tinyId, TINY_INPUT, { output: BN254_R.toString() }, 'OPENING_INVALID', /field element/],
      [tinyId, TINY_INPUT, { input: '-1' }, 'OPENING_INVALID', /salts\.input/],
      [batchId, PAIR, { output: '1' }, 'OPENING_INVALID', /output is not hashed/],
      [tinyId, TINY_INPUT, { input: 5 }, 'BODY_INVALID', /salts\.input/],
      [tinyId, TINY_INPUT, { weights: '1' }, 'BODY_INVALID', /salts/],
    ];
    for (const [modelId, input, salts, code, detail] of cases) {
      const r = await http(base, 'POST', '/v1/proofs', { modelId, input, salts }, alice);
      assert.equal(r.status, 400, `${JSON.stringify(salts)}: ${r.status}`);
      assert.match(r.headers.get('content-type') ?? '', /application\/problem\+json/);
      assert.equal(r.body.code, code);
      assert.match(r.body.detail, detail);
    }
    const short = await http(base, 'POST', '/v1/batches', { modelId: tinyId, inputs: tinyInputs(2), salts: [{}] }, alice);
    assert.deepEqual([short.status, short.body.code], [400, 'BODY_INVALID']);
    const badItem = await http(base, 'POST', '/v1/batches', { modelId: tinyId, inputs: tinyInputs(2), salts: [{}, { input: '0xZZ' }] }, alice);
    assert.deepEqual([badItem.status, badItem.body.code], [400, 'OPENING_INVALID']);
    assert.match(badItem.body.detail, /salts\[1\]/);
    assert.equal(await server.runtime.store.countActive(), active);
  });

  test('calldata: what `zkml calldata` prints for the receipt; 409 NO_RECEIPT before the proof is done', async () => {
    const r = await http(base, 'GET', `/v1/proofs/${givenJob}/calldata`, undefined, reader);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, solidityCallArgs(given.proof, given.publicSignals));
    const file = path.join(dir, 'receipt.json');
    fs.writeFileSync(file, JSON.stringify(given));
    const lines: string[] = [];
    const log = console.log;
    console.log = (s: string) => void lines.push(s);
    try {
      assert.equal(await cli(['calldata', file]), 0);
    } finally {
      console.log = log;
    }
    assert.equal(JSON.stringify(r.body), lines.join('\n'));

    assert.equal((await http(base, 'GET', `/v1/proofs/${'0'.repeat(8)}-0000-0000-0000-000000000000/calldata`, undefined, reader)).status, 404);
    // The last of 4 queued proofs is still waiting when asked for at once.
    const b = await http(base, 'POST', '/v1/batches', { modelId: tinyId, inputs: tinyInputs(4) }, alice);
    const last = (await http(base, 'GET', `/v1/batches/${b.body.id}?offset=3`, undefined, alice)).body.items[0];
    const early = await http(base, 'GET', `/v1/proofs/${last.id}/calldata`, undefined, reader);
    assert.deepEqual([early.status, early.body.code], [409, 'NO_RECEIPT']);
    await waitForBatch(base, b.body.id, 4, 'the batch', reader);
  });

  test('deploy: verifier and a new registry on the configured chain, stored with the model; idempotent; force deploys again', async () => {
    assert.equal((await http(base, 'POST', `/v1/models/${tinyId}/deploy`, {}, alice)).status, 403, 'deploying needs admin');
    const badBody = await http(base, 'POST', `/v1/models/${tinyId}/deploy`, { registry: 'nope' }, admin);
    assert.deepEqual([badBody.status, badBody.body.code], [400, 'BODY_INVALID']);

    const first = await http(base, 'POST', `/v1/models/${tinyId}/deploy`, { registry: 'new' }, admin);
    assert.equal(first.status, 201, JSON.stringify(first.body));
    const d = first.body.deployment;
    assert.equal(d.chainId, 31337);
    assert.match(d.verifier.txHash, /^0x[0-9a-f]{64}$/);
    assert.match(d.registry.deployTxHash, /^0x[0-9a-f]{64}$/);
    assert.equal(d.registry.modelId, '0');
    // The chain holds what the answer says.
    const artifact = loadVerifierArtifact(buildDir(tinyId));
    assert.equal((await getDeployedCode(chain.rpcUrl, d.verifier.address)).toLowerCase(), artifact.deployedBytecode.toLowerCase());
    const provider = new JsonRpcProvider(chain.rpcUrl, 31337, { staticNetwork: true });
    try {
      assert.equal((await provider.getTransactionReceipt(d.verifier.txHash))?.contractAddress, d.verifier.address);
      assert.equal((await provider.getTransactionReceipt(d.registry.deployTxHash))?.contractAddress, d.registry.address);
      assert.equal((await provider.getTransactionReceipt(d.registry.registerTxHash))?.status, 1);
    } finally {
      provider.destroy();
    }

    assert.deepEqual((await http(base, 'GET', `/v1/models/${tinyId}`, undefined, reader)).body.deployment, d);
    for (const body of [{}, { registry: 'new' }, { registry: d.registry.address.toLowerCase() }]) {
      const again = await http(base, 'POST', `/v1/models/${tinyId}/deploy`, body, admin);
      assert.equal(again.status, 200, JSON.stringify(body));
      assert.deepEqual(again.body, { deployment: d, created: false });
    }

    // The receipt verifies on-chain with the deployed verifier, and the registry accepts it.
    const on = await http(base, 'POST', '/v1/verify', { receipt: given, onchain: true }, reader);
    assert.equal(on.body.valid, true, on.body.reason);
    assert.deepEqual(on.body.onchain, { address: d.verifier.address, chainId: 31337, deployed: false });
    const accepted = await withWallet(chain.rpcUrl, chain.privateKey, (w) => submitInference(registryAt(d.registry.address, w), BigInt(d.registry.modelId), given.proof, given.publicSignals));
    assert.deepEqual(accepted.commitments.map(String), [given.commitments.input, given.commitments.output]);

    const forced = await http(base, 'POST', `/v1/models/${tinyId}/deploy`, { force: true }, admin);
    assert.equal(forced.status, 201);
    const f = forced.body.deployment;
    assert.notEqual(f.verifier.address, d.verifier.address);
    assert.equal(f.registry, undefined, 'no registry asked for');
    assert.deepEqual((await http(base, 'GET', `/v1/models/${tinyId}`, undefined, reader)).body.deployment, f);

    // Asking for a registry the stored deployment lacks registers its verifier there.
    const joined = await http(base, 'POST', `/v1/models/${tinyId}/deploy`, { registry: d.registry.address }, admin);
    assert.equal(joined.status, 201);
    assert.deepEqual(joined.body.deployment.verifier, f.verifier);
    assert.deepEqual([joined.body.deployment.registry.address, joined.body.deployment.registry.modelId], [d.registry.address, '1']);
    assert.equal(joined.body.deployment.registry.deployTxHash, undefined);

    // An address without a contract is refused before any transaction; the stored deployment stays.
    const nowhere = await http(base, 'POST', `/v1/models/${tinyId}/deploy`, { registry: '0x' + '1'.repeat(40) }, admin);
    assert.deepEqual([nowhere.status, nowhere.body.code], [502, 'CHAIN_ERROR']);
    assert.match(nowhere.body.detail, /no contract at/);
    assert.deepEqual((await http(base, 'GET', `/v1/models/${tinyId}`, undefined, reader)).body.deployment, joined.body.deployment);

    // The registry's code gone from the chain (as on a fresh chain where only the verifier came back):
    // the stored registry is not reported as deployed any more, and a new one can be asked for.
    await fetch(chain.rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'anvil_setCode', params: [d.registry.address, '0x'] }),
    });
    const stale = await http(base, 'POST', `/v1/models/${tinyId}/deploy`, {}, admin);
    assert.equal(stale.status, 200);
    assert.equal(stale.body.deployment.registry, undefined, 'a registry without code is not reported');
    assert.deepEqual(stale.body.deployment.verifier, f.verifier);
    assert.equal((await http(base, 'GET', `/v1/models/${tinyId}`, undefined, reader)).body.deployment.registry, undefined);
    const renewed = await http(base, 'POST', `/v1/models/${tinyId}/deploy`, { registry: 'new' }, admin);
    assert.equal(renewed.status, 201);
    assert.notEqual(renewed.body.deployment.registry.address, d.registry.address);
  });

  test('private weights: the model shows its weights commitment (never the weights); receipts carry it; deploy registers it; /v1/verify checks it', async () => {
    // models/tiny with its weights negated: another model id (the service keys models by their bytes).
    const id = await compiled(
      tinyWithWeights((w) => w.map((v) => -v)),
      'tiny-private',
      { settings: { weightVisibility: 'private' }, calibration: tinyCalibration() },
    );
    const m = await ready(id);
    assert.equal(m.settings.weightVisibility, 'private');
    assert.match(m.weightsCommitment, /^[0-9]+$/);
    assert.deepEqual(
      m.publicLayout.map((e: { kind: string }) => e.kind),
      ['output', 'weightsCommitment'],
    );
    assert.equal(m.commitmentScheme, COMMITMENT_SCHEME);
    const { model } = readCompiled(buildDir(id));
    const shown = JSON.stringify(m);
    assert.ok(!shown.includes('"params"') && !shown.includes('"salt"'), 'the model view holds no weight or salt');

    const { job } = await proved({ modelId: id, input: TINY_INPUT }, alice);
    assert.equal(job.receipt.commitments.weights, m.weightsCommitment);
    assert.equal(job.receipt.publicSignals.at(-1), m.weightsCommitment);
    assert.equal(job.receipt.openings, undefined, 'the weights are never opened');
    assert.equal((await http(base, 'POST', '/v1/verify', { receipt: job.receipt }, reader)).body.valid, true);
    // A valid proof about other weights (each group reversed: same ranges) with this model's own key: the
    // key names the architecture only, so the commitment check is what refuses it.
    const build = buildDir(id);
    const variant = { ...model, params: model.params!.map((g) => ({ ...g, values: [...g.values].reverse() })) };
    const q = quantizeSample(model, readInput(TINY_INPUT, readCompiled(build).graphInputs));
    const forged: { proof: unknown; publicSignals: string[] } = await withSnarkjsCurve(() =>
      snarkjs.groth16.fullProve(circuitInput(variant, q, { weights: 5n }), artifactPath(build, 'wasm'), artifactPath(build, 'zkey')),
    );
    const other = { ...job.receipt, proof: forged.proof, publicSignals: forged.publicSignals };
    assert.notEqual(other.publicSignals.at(-1), m.weightsCommitment);
    const refused = (await http(base, 'POST', '/v1/verify', { receipt: other }, reader)).body;
    assert.deepEqual([refused.valid, refused.code], [false, 'WEIGHTS_COMMITMENT_MISMATCH']);

    const deployed = await http(base, 'POST', `/v1/models/${id}/deploy`, { registry: 'new' }, admin);
    assert.equal(deployed.status, 201, JSON.stringify(deployed.body));
    const d = deployed.body.deployment;
    const pinned = await withWallet(chain.rpcUrl, chain.privateKey, async (w) => String(await registryAt(d.registry.address, w).getFunction('weightsCommitmentOf')(BigInt(d.registry.modelId))));
    assert.equal(pinned, m.weightsCommitment);
    const accepted = await withWallet(chain.rpcUrl, chain.privateKey, (w) =>
      submitInference(registryAt(d.registry.address, w), BigInt(d.registry.modelId), job.receipt.proof, job.receipt.publicSignals),
    );
    assert.deepEqual(accepted.commitments.map(String), [m.weightsCommitment]);
  });
});
