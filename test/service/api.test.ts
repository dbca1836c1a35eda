/**
 * The HTTP API end to end on embedded defaults (SQLite, in-process queue), in this process:
 * upload → compile → prove → receipt → verify (off-chain and on-chain) on models/tiny, plus auth,
 * problem+json errors, limits, idempotency, batches, 429 with Retry-After, metrics, OpenAPI, and a
 * bounded load test (200 proof requests at once).
 */
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ZkmlError } from '../../src/errors';
import { loadConfig } from '../../src/service/config';
import { startServer, Server } from '../../src/service/server';
import { createLogger } from '../../src/service/log';
import { makeTempDir } from '../helpers/onnx-builders';
import { http, readyTiny, TINY_INPUT, tinyInputs, tinyOnnx, waitFor } from '../helpers/service';

const ADMIN = 'admin-key-0123456789abcdef';
const READER = 'reader-key-0123456789abcdef';
const PROVER = 'prover-key-0123456789abcdef';
const MAX_QUEUE = 40;

describe('service API (SQLite + in-process queue)', () => {
  let dir: string;
  let server: Server;
  let base: string;
  let modelId: string;
  let receipt: any;
  const admin = { authorization: `Bearer ${ADMIN}` };
  const prover = { 'x-api-key': PROVER };
  const reader = { 'x-api-key': READER };

  before(async () => {
    dir = makeTempDir('service-api');
    const config = loadConfig({
      PORT: '0',
      ZKML_DATA_DIR: dir,
      ZKML_MODELS_DIR: path.join(dir, 'no-shipped-models'),
      ZKML_API_KEYS: `${ADMIN}=admin,prove,read;${PROVER}=prove,read;${READER}=read`,
      ZKML_MAX_QUEUE: String(MAX_QUEUE),
      ZKML_BODY_LIMIT_BYTES: String(64 * 1024),
      ZKML_UPLOAD_LIMIT_BYTES: String(32 * 1024),
      ZKML_PROVER_THREADS: '1',
    });
    server = await startServer(config, createLogger('silent'));
    base = server.url;
  });
  after(async () => {
    await server?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a bad configuration is refused at boot, naming the variable', () => {
    for (const [env, name] of [
      [{ PORT: 'eighty' }, 'PORT'],
      [{ REDIS_URL: 'redis://localhost:6379' }, 'DATABASE_URL'],
      [{ ZKML_API_KEYS: 'short=read' }, 'ZKML_API_KEYS'],
      [{ ZKML_API_KEYS: 'a-long-enough-key-123=root' }, 'ZKML_API_KEYS'],
      [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    ] as Array<[Record<string, string>, string]>) {
      assert.throws(
        () => loadConfig(env),
        (e: unknown) => e instanceof ZkmlError && e.code === 'CONFIG_INVALID' && e.message.includes(name),
        name,
      );
    }
  });

  test('auth: 401 without a key, 403 without the scope, health and metrics public', async () => {
    const none = await http(base, 'GET', '/v1/models');
    assert.equal(none.status, 401);
    assert.match(none.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.equal(none.body.code, 'UNAUTHENTICATED');
    assert.equal((await http(base, 'GET', '/v1/models', undefined, { 'x-api-key': 'wrong-key-0123456789abcdef' })).status, 401);
    const forbidden = await http(base, 'POST', '/v1/models', tinyOnnx(), reader);
    assert.equal(forbidden.status, 403);
    assert.equal(forbidden.body.code, 'FORBIDDEN');
    assert.equal((await http(base, 'GET', '/v1/models', undefined, reader)).status, 200);
    assert.equal((await http(base, 'GET', '/health')).status, 200);
    assert.equal((await http(base, 'GET', '/metrics')).status, 200);
  });

  test('errors are problem+json with a stable code; request ids are echoed', async () => {
    const nf = await http(base, 'GET', `/v1/models/${'0'.repeat(64)}`, undefined, { ...reader, 'x-request-id': 'req-123' });
    assert.equal(nf.status, 404);
    assert.equal(nf.body.code, 'NOT_FOUND');
    assert.equal(nf.body.requestId, 'req-123');
    assert.equal(nf.headers.get('x-request-id'), 'req-123');
    const badJson = await http(base, 'POST', '/v1/proofs', '{"modelId":', prover);
    assert.equal(badJson.status, 400);
    assert.equal(badJson.body.code, 'BODY_INVALID');
    const badBody = await http(base, 'POST', '/v1/proofs', { modelId: 'nope', input: {} }, prover);
    assert.equal(badBody.status, 400);
    assert.equal(badBody.body.code, 'BODY_INVALID');
    assert.match(badBody.body.detail, /modelId/);
    const big = await http(base, 'POST', '/v1/proofs', { modelId: '0'.repeat(64), input: { pad: 'x'.repeat(100 * 1024) } }, prover);
    assert.equal(big.status, 413);
    assert.equal(big.body.code, 'BODY_TOO_LARGE');
    const bigUpload = await http(base, 'POST', '/v1/models', new Uint8Array(40 * 1024), admin);
    assert.equal(bigUpload.status, 413);
    assert.equal(bigUpload.body.code, 'BODY_TOO_LARGE');
    const junk = await http(base, 'POST', '/v1/models', new Uint8Array([1, 2, 3, 4, 5]), admin);
    assert.equal(junk.status, 422);
    assert.equal(junk.body.code, 'ONNX_MALFORMED');
  });

  test('upload → compile: the id is the ONNX sha256; proving waits for the compile', async () => {
    const id = crypto.createHash('sha256').update(tinyOnnx()).digest('hex');
    const up = await http(base, 'POST', '/v1/models', tinyOnnx(), admin);
    assert.equal(up.status, 201);
    assert.equal(up.body.id, id);
    const early = await http(base, 'POST', '/v1/proofs', { modelId: id, input: TINY_INPUT }, prover);
    assert.equal(early.status, 409);
    assert.equal(early.body.code, 'MODEL_NOT_READY');
    modelId = await readyTiny(base, admin);
    assert.equal(modelId, id);
    const m = await http(base, 'GET', `/v1/models/${id}`, undefined, reader);
    assert.equal(m.body.status, 'ready');
    assert.equal(m.body.compileJob.state, 'done');
    assert.ok(m.body.report.layers.length > 0, 'per-layer report');
    assert.equal(m.body.manifest.onnxSha256, id);
    const sol = await http(base, 'GET', `/v1/models/${id}/verifier.sol`, undefined, reader);
    assert.equal(sol.status, 200);
    assert.match(String(sol.body), /contract Groth16Verifier/);
    const vk = await http(base, 'GET', `/v1/models/${id}/verification_key.json`, undefined, reader);
    assert.equal(vk.body.protocol, 'groth16');
    assert.equal(vk.body.nPublic, 2);
  });

  test('prove → receipt → verify; an idempotency key returns the same job', async () => {
    const body = { modelId, input: TINY_INPUT, idempotencyKey: 'order-42' };
    const a = await http(base, 'POST', '/v1/proofs', body, prover);
    assert.equal(a.status, 202);
    assert.equal(a.headers.get('location'), `/v1/proofs/${a.body.id}`);
    const again = await http(base, 'POST', '/v1/proofs', body, prover);
    assert.equal(again.status, 200);
    assert.equal(again.body.id, a.body.id);
    assert.equal(again.body.created, false);
    const done = await waitFor('the proof', async () => {
      const p = await http(base, 'GET', `/v1/proofs/${a.body.id}`, undefined, reader);
      assert.notEqual(p.body.state, 'failed', JSON.stringify(p.body.error));
      return p.body.state === 'done' && p.body;
    });
    assert.equal(done.percent, 100);
    assert.equal(done.payload, undefined, 'the private input is not served back');
    receipt = done.receipt;
    assert.equal(receipt.format, 'zkml-receipt/1');
    assert.equal(receipt.model.onnxSha256, modelId);
    assert.equal(receipt.reference.integerReferenceMatches, true);
    assert.equal(receipt.publicSignals.length, 2);

    const v = await http(base, 'POST', '/v1/verify', { receipt }, reader);
    assert.equal(v.status, 200);
    assert.deepEqual([v.body.valid, v.body.code], [true, undefined]);
    const tampered = structuredClone(receipt);
    tampered.publicSignals[0] = (BigInt(tampered.publicSignals[0]) + 1n).toString();
    const bad = await http(base, 'POST', '/v1/verify', { receipt: tampered }, reader);
    assert.deepEqual([bad.body.valid, bad.body.code], [false, 'PROOF_INVALID']);
    const otherKey = structuredClone(receipt);
    otherKey.model.vkSha256 = 'f'.repeat(64);
    const mismatch = await http(base, 'POST', '/v1/verify', { receipt: otherKey }, reader);
    assert.deepEqual([mismatch.body.valid, mismatch.body.code], [false, 'RECEIPT_MODEL_MISMATCH']);

    // The outputs are bound to the public signals: another class (reference edited to agree) is refused, naming the field.
    const [y0, y1] = receipt.outputs[0].values;
    const otherClass = structuredClone(receipt);
    otherClass.outputs[0].values[y0 > y1 ? 1 : 0] = 9.5;
    otherClass.reference.outputs[0].values[y0 > y1 ? 1 : 0] = 9.5;
    const lie = await http(base, 'POST', '/v1/verify', { receipt: otherClass }, reader);
    assert.deepEqual([lie.status, lie.body.valid, lie.body.code, lie.body.field], [200, false, 'RECEIPT_MISMATCH', 'outputs[0].values']);
    const figures = structuredClone(receipt);
    figures.reference.argmaxAgrees = !figures.reference.argmaxAgrees;
    const badFigure = await http(base, 'POST', '/v1/verify', { receipt: figures }, reader);
    assert.deepEqual([badFigure.body.valid, badFigure.body.code, badFigure.body.field], [false, 'RECEIPT_MISMATCH', 'reference.argmaxAgrees']);
    for (const edit of [(r: any) => (r.outputs = 'class 9'), (r: any) => (r.verifiedBy = 'me')]) {
      const t = structuredClone(receipt);
      edit(t);
      const v = await http(base, 'POST', '/v1/verify', { receipt: t }, reader);
      assert.deepEqual([v.body.valid, v.body.code], [false, 'RECEIPT_INVALID']);
    }
  });

  test('verify on-chain: the model verifier on a local anvil accepts the receipt and rejects a tampered one', async () => {
    const on = await http(base, 'POST', '/v1/verify', { receipt, onchain: true }, reader);
    assert.equal(on.body.valid, true, on.body.reason);
    assert.equal(on.body.onchain.chainId, 31337);
    const tampered = structuredClone(receipt);
    tampered.proof.pi_a[0] = receipt.proof.pi_c[0];
    const bad = await http(base, 'POST', '/v1/verify', { receipt: tampered, onchain: true }, reader);
    assert.equal(bad.body.valid, false);
  });

  test('a bad input is refused at submission with its stable code, and no job is made', async () => {
    const cases: Array<[unknown, string]> = [
      [{ input_data: [[1, 2]] }, 'SHAPE_MISMATCH'],
      [{ input_data: [[null, 0, 0, 0]] }, 'INPUT_NOT_FINITE'],
      [{ input_data: [[0, 1000, 0, 0]] }, 'INPUT_OUT_OF_RANGE'],
      ['not an input', 'INPUT_INVALID'],
    ];
    for (const [input, code] of cases) {
      const r = await http(base, 'POST', '/v1/proofs', { modelId, input }, prover);
      assert.ok(r.status >= 400 && r.status < 500, `${code}: ${r.status}`);
      assert.equal(r.body.code, code);
      // The API names its own fields (inputRange), never a CLI flag.
      assert.doesNotMatch(String(r.body.detail), /--[a-z]/, `${code}: ${r.body.detail}`);
      if (code === 'INPUT_OUT_OF_RANGE') assert.match(r.body.detail, /inputRange/);
    }
    const b = await http(base, 'POST', '/v1/batches', { modelId, inputs: [...tinyInputs(2), { input_data: [[0, 1000, 0, 0]] }] }, prover);
    assert.equal(b.body.code, 'INPUT_OUT_OF_RANGE');
    assert.match(b.body.detail, /inputs\[2\]/);
  });

  test('batches: counts by state and paged items with receipts', async () => {
    const b = await http(base, 'POST', '/v1/batches', { modelId, inputs: tinyInputs(3) }, prover);
    assert.equal(b.status, 202);
    assert.equal(b.body.size, 3);
    const done = await waitFor('the batch', async () => {
      const g = await http(base, 'GET', `/v1/batches/${b.body.id}`, undefined, reader);
      return g.body.counts.done === 3 && g.body;
    });
    assert.deepEqual(done.counts, { queued: 0, running: 0, done: 3, failed: 0 });
    assert.equal(done.items.length, 3);
    const page = await http(base, 'GET', `/v1/batches/${b.body.id}?offset=1&limit=1`, undefined, reader);
    assert.equal(page.body.items.length, 1);
    assert.equal(page.body.items[0].index, 1);
    assert.equal(page.body.items[0].receipt.format, 'zkml-receipt/1');
    assert.equal((await http(base, 'GET', `/v1/batches/${b.body.id}?limit=1000`, undefined, reader)).body.code, 'BODY_INVALID');
  });

  test('a full queue answers 429 with Retry-After', async () => {
    const r = await http(base, 'POST', '/v1/batches', { modelId, inputs: tinyInputs(MAX_QUEUE + 1) }, prover);
    assert.equal(r.status, 429);
    assert.equal(r.body.code, 'QUEUE_FULL');
    assert.ok(Number(r.headers.get('retry-after')) >= 1);
  });

  test('load: 200 proof requests at once are each accepted or refused with 429; every accepted one completes; memory stays bounded', async () => {
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    let maxDepth = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
      void server.runtime.store.countActive().then((n) => (maxDepth = Math.max(maxDepth, n)));
    }, 20);
    try {
      const inputs = tinyInputs(200);
      const responses = await Promise.all(inputs.map((input) => http(base, 'POST', '/v1/proofs', { modelId, input }, prover)));
      const accepted = responses.filter((r) => r.status === 202);
      const refused = responses.filter((r) => r.status === 429);
      assert.equal(accepted.length + refused.length, 200, `statuses: ${[...new Set(responses.map((r) => r.status))]}`);
      // Jobs that finish during the burst free room, so more than MAX_QUEUE may be accepted in all,
      // but never more than MAX_QUEUE at once.
      assert.ok(accepted.length >= MAX_QUEUE, `accepted ${accepted.length}`);
      assert.ok(refused.length >= 1, `refused ${refused.length}`);
      for (const r of refused) {
        assert.equal(r.body.code, 'QUEUE_FULL');
        assert.ok(Number(r.headers.get('retry-after')) >= 1);
      }
      const health: number[] = [];
      await waitFor(
        'every accepted job',
        async () => {
          const t = performance.now();
          assert.equal((await http(base, 'GET', '/health')).status, 200);
          health.push(performance.now() - t);
          const states = await Promise.all(accepted.map((r) => http(base, 'GET', `/v1/proofs/${r.body.id}`, undefined, reader)));
          for (const s of states) assert.notEqual(s.body.state, 'failed', JSON.stringify(s.body.error));
          return states.every((s) => s.body.state === 'done');
        },
        150_000,
        500,
      );
      // Nothing is left queued, and a request made now is accepted again.
      assert.equal((await http(base, 'GET', '/health')).body.queue.depth, 0);
      health.sort((a, b) => a - b);
      const p95 = health[Math.floor(health.length * 0.95)];
      assert.ok(p95 < 250, `GET /health p95 ${p95.toFixed(1)} ms while proving`);
    } finally {
      clearInterval(sampler);
    }
    assert.ok(maxDepth <= MAX_QUEUE, `queue depth reached ${maxDepth}`);
    assert.ok(peak - rss0 < 400 * 1024 * 1024, `RSS grew by ${((peak - rss0) / 2 ** 20).toFixed(0)} MiB`);
  });

  test('metrics count proofs and expose the queue depth; OpenAPI is served at /docs', async () => {
    const m = await http(base, 'GET', '/metrics');
    const text = String(m.body);
    const ok = Number(/zkml_proofs_total\{result="ok"\} (\d+)/.exec(text)?.[1]);
    assert.ok(ok >= 5, `proofs ok ${ok}`);
    assert.match(text, /zkml_queue_depth 0/);
    assert.match(text, /zkml_job_duration_seconds_count\{kind="prove",phase="proof"\}/);
    assert.match(text, /zkml_worker_utilisation/);
    const docs = await http(base, 'GET', '/docs-json');
    assert.equal(docs.status, 200);
    for (const p of ['/v1/models', '/v1/models/{id}/compile', '/v1/proofs', '/v1/proofs/{id}', '/v1/batches', '/v1/batches/{id}', '/v1/verify', '/health']) {
      assert.ok(docs.body.paths[p], `OpenAPI has ${p}`);
    }
    assert.equal((await http(base, 'GET', '/docs')).status, 200);
  });
});
