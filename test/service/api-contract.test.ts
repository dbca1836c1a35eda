/**
 * The API contract an integrator relies on, in-process on SQLite with two proving API keys:
 * idempotency scoped per API key and bound to the body (header or field; same body → the same job
 * or batch, another body → 409 IDEMPOTENCY_CONFLICT), strict bodies (an unknown field is a 400
 * naming it), and a model whose build breaks while the service runs: stopped with the reason at the
 * first failed proof, later submissions refused with 409 MODEL_STOPPED, ready again once the files
 * are repaired and re-checked (POST /v1/models/:id/check); scopes as a hierarchy; the model
 * lifecycle (settings conflicts, paging, delete, cancel).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { artifactPath } from '../../src/formats/artifacts';
import { loadConfig } from '../../src/service/config';
import { createLogger } from '../../src/service/log';
import { Server, startServer } from '../../src/service/server';
import { makeTempDir, modelFile } from '../helpers/onnx-builders';
import { http, readyTiny, TINY_INPUT, tinyInputs, waitFor } from '../helpers/service';

const ADMIN = 'contract-admin-0123456789';
const ALICE = 'contract-alice-0123456789';
const BOB = 'contract-bobby-0123456789';

describe('API contract: idempotency, strict bodies, lifecycle, stopped models', () => {
  let dir: string;
  let server: Server;
  let base: string;
  let modelId: string;
  const admin = { 'x-api-key': ADMIN };
  const alice = { 'x-api-key': ALICE };
  const bob = { 'x-api-key': BOB };

  before(async () => {
    dir = makeTempDir('service-contract');
    server = await startServer(
      loadConfig({
        PORT: '0',
        ZKML_DATA_DIR: dir,
        ZKML_MODELS_DIR: path.join(dir, 'none'),
        ZKML_API_KEYS: `${ADMIN}=admin;${ALICE}=prove;${BOB}=prove`,
        ZKML_PROVER_THREADS: '1',
      }),
      createLogger('silent'),
    );
    base = server.url;
    modelId = await readyTiny(base, admin, 180_000);
  });
  after(async () => {
    await server?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('scopes are a hierarchy: admin ⊇ prove ⊇ read', async () => {
    assert.equal((await http(base, 'GET', '/v1/models', undefined, admin)).status, 200, 'an admin key reads');
    assert.equal((await http(base, 'GET', `/v1/models/${modelId}`, undefined, alice)).status, 200, 'a prove key reads');
    const forbidden = await http(base, 'POST', `/v1/models/${modelId}/compile`, {}, alice);
    assert.deepEqual([forbidden.status, forbidden.body.code], [403, 'FORBIDDEN']);
  });

  test('idempotency: scoped per API key, bound to the body, from the header or the field', async () => {
    const body = { modelId, input: TINY_INPUT };
    const first = await http(base, 'POST', '/v1/proofs', body, { ...alice, 'idempotency-key': 'order-7' });
    assert.equal(first.status, 202, JSON.stringify(first.body));
    // The same key in the body field, the body's fields in another order: the same request.
    const again = await http(base, 'POST', '/v1/proofs', { input: TINY_INPUT, modelId, idempotencyKey: 'order-7' }, alice);
    assert.deepEqual([again.status, again.body.id, again.body.created], [200, first.body.id, false]);
    const other = await http(base, 'POST', '/v1/proofs', { modelId, input: tinyInputs(2)[1] }, { ...alice, 'idempotency-key': 'order-7' });
    assert.equal(other.status, 409);
    assert.equal(other.body.code, 'IDEMPOTENCY_CONFLICT');
    // Another API key's request with the same key is its own job.
    const bobs = await http(base, 'POST', '/v1/proofs', body, { ...bob, 'idempotency-key': 'order-7' });
    assert.equal(bobs.status, 202);
    assert.notEqual(bobs.body.id, first.body.id);
    const twoKeys = await http(base, 'POST', '/v1/proofs', { ...body, idempotencyKey: 'a' }, { ...alice, 'idempotency-key': 'b' });
    assert.deepEqual([twoKeys.status, twoKeys.body.code, twoKeys.body.details], [400, 'BODY_INVALID', { field: 'idempotencyKey' }]);
  });

  test('a retried batch returns the same batch, with no duplicated items; another body is a conflict', async () => {
    const body = { modelId, inputs: tinyInputs(2), idempotencyKey: 'batch-1' };
    const a = await http(base, 'POST', '/v1/batches', body, alice);
    assert.equal(a.status, 202, JSON.stringify(a.body));
    const b = await http(base, 'POST', '/v1/batches', { modelId, inputs: tinyInputs(2) }, { ...alice, 'idempotency-key': 'batch-1' });
    assert.deepEqual([b.status, b.body.id, b.body.size, b.body.created], [200, a.body.id, 2, false]);
    const jobs = await server.runtime.store.countByState();
    const c = await http(base, 'POST', '/v1/batches', body, alice);
    assert.equal(c.body.id, a.body.id);
    assert.deepEqual(await server.runtime.store.countByState().then((n) => n.queued + n.running + n.done), jobs.queued + jobs.running + jobs.done, 'no job added');
    const conflict = await http(base, 'POST', '/v1/batches', { ...body, inputs: tinyInputs(3) }, alice);
    assert.deepEqual([conflict.status, conflict.body.code], [409, 'IDEMPOTENCY_CONFLICT']);
    const bobs = await http(base, 'POST', '/v1/batches', body, bob);
    assert.equal(bobs.status, 202);
    assert.notEqual(bobs.body.id, a.body.id);
  });

  test('strict bodies: an unknown field is refused with a 400 naming it', async () => {
    for (const [route, body] of [
      ['/v1/proofs', { modelId, input: TINY_INPUT, idempotency_key: 'x' }],
      ['/v1/proofs', { modelId, input: TINY_INPUT, callback_url: 'https://example.com/hook' }],
      ['/v1/batches', { modelId, inputs: [TINY_INPUT], callbackURL: 'https://example.com/hook' }],
      ['/v1/batches', { modelId, inputs: [TINY_INPUT], idempotency_key: 'x' }],
      ['/v1/verify', { receipt: { proof: {}, publicSignals: [], model: { onnxSha256: modelId, vkSha256: 'x' } }, onchian: true }],
    ] as const) {
      const r = await http(base, 'POST', route, body, alice);
      const field = Object.keys(body).find((k) => !['modelId', 'input', 'inputs', 'receipt'].includes(k))!;
      assert.equal(r.status, 400, `${route} ${field}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.code, 'BODY_INVALID');
      assert.deepEqual(r.body.details, { field });
      assert.match(r.body.detail, new RegExp(`^${field}: unknown field`));
    }
  });

  test('lifecycle: settings are part of the build, models are paged with their settings and deleted, a queued proof is cancelled', async () => {
    // Other settings are another build: a 409 naming them, never the old job.
    const job = (await http(base, 'GET', `/v1/models/${modelId}`, undefined, admin)).body.compileJob;
    const same = await http(base, 'POST', `/v1/models/${modelId}/compile`, { settings: { batchSize: 1 } }, admin);
    assert.deepEqual([same.status, same.body.jobId], [202, job.id]);
    const other = await http(base, 'POST', `/v1/models/${modelId}/compile`, { settings: { batchSize: 2, inputBits: 8, outputVisibility: 'hashed' } }, admin);
    assert.deepEqual([other.status, other.body.code, other.body.details], [409, 'MODEL_SETTINGS_CONFLICT', { settings: ['batchSize', 'outputVisibility'] }]);

    // Paging: two more models, listed one at a time by the cursor, oldest first; a ready model shows its settings.
    for (const name of ['tiny-matmul', 'mnist-mlp'] as const) {
      assert.equal((await http(base, 'POST', `/v1/models?name=${name}`, fs.readFileSync(modelFile(name)), admin)).status, 201);
    }
    const seen: any[] = [];
    let route: string | undefined = '/v1/models?limit=1';
    while (route) {
      const page: any = await http(base, 'GET', route, undefined, alice);
      assert.equal(page.status, 200);
      assert.ok(page.body.length <= 1);
      seen.push(...page.body);
      const next = page.headers.get('x-next-cursor');
      route = next ? `/v1/models?limit=1&cursor=${next}` : undefined;
    }
    assert.deepEqual(
      seen.map((m) => m.name),
      ['tiny', 'tiny-matmul', 'mnist-mlp'],
    );
    assert.equal(seen[0].settings.batchSize, 1);
    assert.equal(seen[1].settings, null);
    assert.equal((await http(base, 'GET', '/v1/models?cursor=nonsense', undefined, alice)).status, 400);

    // Delete (admin only): the record and the artifacts go.
    const doomed = seen[1].id;
    assert.equal((await http(base, 'DELETE', `/v1/models/${doomed}`, undefined, alice)).status, 403);
    assert.equal((await http(base, 'DELETE', `/v1/models/${doomed}`, undefined, admin)).status, 204);
    assert.equal((await http(base, 'GET', `/v1/models/${doomed}`, undefined, admin)).status, 404);
    assert.equal(fs.existsSync(server.runtime.engine.artifacts.onnxPath(doomed)), false);
    assert.equal((await http(base, 'DELETE', `/v1/models/${doomed}`, undefined, admin)).status, 404);

    // A batch keeps the one prover thread busy: its last item is still queued, and is cancelled.
    const batch = await http(base, 'POST', '/v1/batches', { modelId, inputs: tinyInputs(6) }, alice);
    assert.equal(batch.status, 202);
    const items = (await http(base, 'GET', `/v1/batches/${batch.body.id}`, undefined, alice)).body.items;
    const busy = await http(base, 'DELETE', `/v1/models/${modelId}`, undefined, admin);
    assert.deepEqual([busy.status, busy.body.code], [409, 'MODEL_BUSY']);
    const last = items[items.length - 1].id;
    assert.equal((await http(base, 'POST', `/v1/proofs/${last}/cancel`, undefined, bob)).status, 404, "another key's job");
    const cancelled = await http(base, 'POST', `/v1/proofs/${last}/cancel`, undefined, alice);
    assert.deepEqual([cancelled.status, cancelled.body.state, cancelled.body.error.code], [200, 'failed', 'JOB_CANCELLED']);
    const final = await waitFor('the rest of the batch', async () => {
      const b = (await http(base, 'GET', `/v1/batches/${batch.body.id}`, undefined, alice)).body;
      return b.counts.queued + b.counts.running === 0 && b;
    });
    assert.deepEqual([final.counts.done, final.counts.failed], [5, 1]);
    assert.equal(await server.runtime.store.countResults(last), 0, 'the cancelled job never ran');
    const ended = await http(base, 'POST', `/v1/proofs/${items[0].id}/cancel`, undefined, alice);
    assert.deepEqual([ended.status, ended.body.code], [409, 'JOB_NOT_CANCELLABLE']);
  });

  test('a build broken while the service runs stops the model (409 MODEL_STOPPED) until repaired and re-checked', async () => {
    const zkey = artifactPath(server.runtime.engine.artifacts.buildDir(modelId), 'zkey');
    const good = fs.readFileSync(zkey);
    fs.rmSync(zkey);
    const p = await http(base, 'POST', '/v1/proofs', { modelId, input: TINY_INPUT }, alice);
    assert.equal(p.status, 202);
    const failed = await waitFor('the proof to fail', async () => {
      const r = await http(base, 'GET', `/v1/proofs/${p.body.id}`, undefined, alice);
      return r.body.state === 'failed' && r.body;
    });
    assert.equal(failed.error.code, 'ARTIFACT_MISSING');
    const m = await http(base, 'GET', `/v1/models/${modelId}`, undefined, admin);
    assert.deepEqual([m.body.status, m.body.error.code], ['stopped', 'ARTIFACT_MISSING']);
    const refused = await http(base, 'POST', '/v1/proofs', { modelId, input: TINY_INPUT }, alice);
    assert.deepEqual([refused.status, refused.body.code, refused.body.details], [409, 'MODEL_STOPPED', { reason: 'ARTIFACT_MISSING' }]);

    // A re-check before the repair keeps it stopped; another key's bytes are a hash mismatch.
    const bad = Buffer.from(good);
    bad[bad.length - 1] ^= 0xff;
    fs.writeFileSync(zkey, bad);
    const stillBroken = await http(base, 'POST', `/v1/models/${modelId}/check`, undefined, admin);
    assert.deepEqual([stillBroken.status, stillBroken.body.status, stillBroken.body.error.code], [200, 'stopped', 'ARTIFACT_HASH_MISMATCH']);
    assert.equal((await http(base, 'POST', `/v1/models/${modelId}/check`, undefined, alice)).status, 403, 'admin only');
    assert.equal((await http(base, 'POST', '/v1/proofs', { modelId, input: TINY_INPUT }, alice)).status, 409);

    fs.writeFileSync(zkey, good);
    const repaired = await http(base, 'POST', `/v1/models/${modelId}/check`, undefined, admin);
    assert.deepEqual([repaired.status, repaired.body.status, repaired.body.error], [200, 'ready', null]);
    const again = await http(base, 'POST', '/v1/proofs', { modelId, input: TINY_INPUT }, alice);
    assert.equal(again.status, 202);
    const done = await waitFor(
      'the proof after the repair',
      async () => {
        const r = await http(base, 'GET', `/v1/proofs/${again.body.id}`, undefined, alice);
        if (r.body.state === 'failed') throw new Error(JSON.stringify(r.body.error));
        return r.body.state === 'done' && r.body;
      },
      120_000,
    );
    assert.ok(done.receipt.proof);
  });
});
