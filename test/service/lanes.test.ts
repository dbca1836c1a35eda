/**
 * Scheduling lanes, in-process on SQLite with one prover thread: a proof of a ready model completes
 * while another model's compile job runs (compiles have their own lane and slots, so they never hold
 * the slot a proof waits for). On a single shared queue the proof would wait for the whole compile.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/service/config';
import { createLogger } from '../../src/service/log';
import { Server, startServer } from '../../src/service/server';
import { calibrationFile, makeTempDir, modelFile } from '../helpers/onnx-builders';
import { http, readyTiny, TINY_INPUT, waitFor } from '../helpers/service';

describe('scheduling lanes: compiles never delay proofs of ready models', () => {
  let dir: string;
  let server: Server;
  let base: string;

  before(async () => {
    dir = makeTempDir('service-lanes');
    server = await startServer(
      loadConfig({
        PORT: '0',
        ZKML_DATA_DIR: dir,
        ZKML_MODELS_DIR: path.join(dir, 'none'),
        ZKML_PROVER_THREADS: '1',
        ZKML_COMPILE_CONCURRENCY: '1',
        // The long compile is not needed past the test: it stops itself soon after.
        ZKML_COMPILE_TIMEOUT_MS: '40000',
      }),
      createLogger('silent'),
    );
    base = server.url;
  });
  after(async () => {
    await server?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a proof of a ready model completes while a compile job is running', async () => {
    const tiny = await readyTiny(base, {}, 180_000);
    const up = await http(base, 'POST', '/v1/models?name=mnist-mlp', fs.readFileSync(modelFile('mnist-mlp')));
    assert.equal(up.status, 201);
    const compile = await http(base, 'POST', `/v1/models/${up.body.id}/compile`, { calibration: JSON.parse(fs.readFileSync(calibrationFile('mnist-mlp'), 'utf8')) });
    assert.equal(compile.status, 202);
    await waitFor('the compile job to run', async () => (await server.runtime.store.getJob(compile.body.jobId))?.state === 'running', 20_000, 50);

    const t0 = Date.now();
    const p = await http(base, 'POST', '/v1/proofs', { modelId: tiny, input: TINY_INPUT });
    assert.equal(p.status, 202);
    await waitFor(
      'the proof while the compile runs',
      async () => {
        const r = await http(base, 'GET', `/v1/proofs/${p.body.id}`);
        assert.notEqual(r.body.state, 'failed', JSON.stringify(r.body.error));
        return r.body.state === 'done';
      },
      25_000,
      100,
    );
    const compileJob = await server.runtime.store.getJob(compile.body.jobId);
    assert.equal(compileJob?.state, 'running', `the compile was still running when the proof was done (${Date.now() - t0} ms after it was asked)`);
    assert.equal(server.runtime.queue.busy('compile'), 1);
  });
});
