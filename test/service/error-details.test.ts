/**
 * Errors keep their details on the way out, and a broken build is caught at boot. In-process service
 * on SQLite: a problem+json 4xx carries its public details (the offending nodes, the field); a compile
 * job of a model with an unsupported op stores its error with the node list, shown by the job and the
 * model; a ready model whose zkey is corrupted while the service is down is stopped at the next start
 * (the reason reported, proofs refused with MODEL_STOPPED at once, not a 202 then a failure) and is
 * ready again once the file is put back.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { artifactPath } from '../../src/formats/artifacts';
import { loadConfig } from '../../src/service/config';
import { createLogger } from '../../src/service/log';
import { Server, startServer } from '../../src/service/server';
import { makeTempDir, simpleGraph } from '../helpers/onnx-builders';
import { http, readyTiny, TINY_INPUT, waitFor } from '../helpers/service';

/** Two unsupported nodes around a supported one: refused at ingest, naming both. */
const unsupported = (): Uint8Array =>
  simpleGraph(
    [
      { opType: 'RandomUniformLike', name: 'noise_a', inputs: ['x'], outputs: ['n1'] },
      { opType: 'Relu', name: 'fine', inputs: ['n1'], outputs: ['r'] },
      { opType: 'Bernoulli', name: 'coin_b', inputs: ['r'], outputs: ['y'] },
    ],
    { yShape: [1, 4] },
  );
const NODES = [
  { name: 'noise_a', opType: 'RandomUniformLike' },
  { name: 'coin_b', opType: 'Bernoulli' },
];

describe('error details and the boot check', () => {
  let dir: string;
  let server: Server | undefined;
  let base: string;
  const start = async () => {
    server = await startServer(
      loadConfig({ PORT: '0', ZKML_DATA_DIR: dir, ZKML_MODELS_DIR: path.join(dir, 'models'), ZKML_PROVER_THREADS: '1', ZKML_CACHE_DIR: path.join(dir, 'cache') }),
      createLogger('silent'),
    );
    base = server.url;
  };
  const stop = async () => {
    await server?.close();
    server = undefined;
  };

  before(async () => {
    dir = makeTempDir('service-errors');
    // A shipped model is registered without the upload's ingest check, so its compile job meets the refusal.
    fs.mkdirSync(path.join(dir, 'models', 'bad'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'models', 'bad', 'model.onnx'), unsupported());
    await start();
  });
  after(async () => {
    await stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a problem+json 4xx carries the public details of its code', async () => {
    const up = await http(base, 'POST', '/v1/models?name=bad', unsupported());
    assert.equal(up.status, 422);
    assert.equal(up.body.code, 'ONNX_UNSUPPORTED_OP');
    assert.deepEqual(up.body.details, { nodes: NODES });
    const body = await http(base, 'POST', '/v1/proofs', { modelId: 'nope', input: {} });
    assert.equal(body.status, 400);
    assert.equal(body.body.code, 'BODY_INVALID');
    assert.deepEqual(body.body.details, { field: 'modelId' });
    const settings = await http(base, 'POST', `/v1/models/${'0'.repeat(64)}/compile`, { settings: { batchSize: 0 } });
    assert.equal(settings.status, 400);
    assert.equal(settings.body.code, 'SETTINGS_INVALID');
    assert.deepEqual(settings.body.details, { setting: 'batchSize' });
    // No details for a code without public ones.
    const nf = await http(base, 'GET', `/v1/models/${'0'.repeat(64)}`);
    assert.equal(nf.body.code, 'NOT_FOUND');
    assert.equal(nf.body.details, undefined);
  });

  test("an ONNX_UNSUPPORTED_OP compile job's stored error keeps the node list; the job and the model show it", async () => {
    const bad = (await http(base, 'GET', '/v1/models')).body.find((m: { name: string }) => m.name === 'bad');
    assert.ok(bad, 'the shipped model is registered');
    const c = await http(base, 'POST', `/v1/models/${bad.id}/compile`, {});
    assert.equal(c.status, 202);
    const m = await waitFor('the compile to fail', async () => {
      const r = await http(base, 'GET', `/v1/models/${bad.id}`);
      return r.body.status === 'failed' && r.body;
    });
    assert.equal(m.error.code, 'ONNX_UNSUPPORTED_OP');
    assert.match(m.error.message, /noise_a.*coin_b/);
    assert.deepEqual(m.error.details, { nodes: NODES });
    assert.equal(m.compileJob.state, 'failed');
    assert.deepEqual(m.compileJob.error, m.error);
  });

  test('a ready model whose zkey was corrupted is stopped at boot: the reason is shown, proofs are refused with MODEL_STOPPED', async () => {
    const id = await readyTiny(base, {}, 180_000);
    assert.ok(
      fs.readdirSync(path.join(dir, 'cache', 'ptau')).some((f) => /^dev_\d+\.ptau$/.test(f)),
      'the compile thread used ZKML_CACHE_DIR',
    );
    await stop();
    const zkey = artifactPath(path.join(dir, 'artifacts', 'builds', id), 'zkey');
    const good = fs.readFileSync(zkey);
    const bad = Buffer.from(good);
    bad[bad.length - 1] ^= 0xff;
    fs.writeFileSync(zkey, bad);

    await start();
    const m = await http(base, 'GET', `/v1/models/${id}`);
    assert.equal(m.body.status, 'stopped');
    assert.equal(m.body.error.code, 'ARTIFACT_HASH_MISMATCH');
    assert.match(m.body.error.message, /circuit\.zkey has sha256/);
    assert.equal(m.body.error.details.artifact, 'circuit.zkey');
    assert.ok(!JSON.stringify(m.body.error).includes(dir), 'no server path in the details');
    const p = await http(base, 'POST', '/v1/proofs', { modelId: id, input: TINY_INPUT });
    assert.equal(p.status, 409);
    assert.equal(p.body.code, 'MODEL_STOPPED');
    assert.match(p.body.detail, /ARTIFACT_HASH_MISMATCH/);
    assert.deepEqual(p.body.details, { reason: 'ARTIFACT_HASH_MISMATCH' });
    assert.equal((await http(base, 'GET', `/v1/models/${id}/verification_key.json`)).body.code, 'MODEL_STOPPED');

    // The file put back: the next start finds the build sound and the model proves again.
    await stop();
    fs.writeFileSync(zkey, good);
    await start();
    assert.equal((await http(base, 'GET', `/v1/models/${id}`)).body.status, 'ready');
    const again = await http(base, 'POST', '/v1/proofs', { modelId: id, input: TINY_INPUT });
    assert.equal(again.status, 202);
    const done = await waitFor(
      'the proof',
      async () => {
        const r = await http(base, 'GET', `/v1/proofs/${again.body.id}`);
        if (r.body.state === 'failed') throw new Error(JSON.stringify(r.body.error));
        return r.body.state === 'done' && r.body;
      },
      120_000,
    );
    assert.ok(done.receipt.proof);
  });
});
