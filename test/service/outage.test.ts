/**
 * Scale-out mode through outages of its dependencies, on private Redis and PostgreSQL servers of
 * this test (never the machine's shared ones), stopped and started again while the service runs:
 * the service stays up; while a dependency is down, submissions get 503 problem+json with
 * Retry-After within 2 s and /health is not ready, naming it; once it is back the service recovers
 * by itself, and every accepted job completes exactly once (one stored result). Under CI=true the
 * test fails when the server binaries are missing.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import { after, before, describe, test } from 'node:test';
import { makeTempDir } from '../helpers/onnx-builders';
import { privateServersMissing, PrivateServer, startPrivatePostgres, startPrivateRedis } from '../helpers/private-servers';
import { Child, http, readyTiny, startChild, TINY_INPUT, tinyInputs, waitFor, waitForBatch } from '../helpers/service';

const N = 6;

describe('scale-out through Redis and PostgreSQL outages', () => {
  const missing = privateServersMissing();
  let redis: PrivateServer | undefined;
  let pg: PrivateServer | undefined;
  let api: Child | undefined;
  let modelId: string;
  const dir = makeTempDir('service-outage');

  before(async () => {
    if (missing) {
      if (process.env.CI === 'true') throw new Error(`CI needs private Redis and PostgreSQL servers: ${missing}`);
      return;
    }
    redis = await startPrivateRedis();
    pg = await startPrivatePostgres();
    api = await startChild('serve', {
      PORT: '0',
      REDIS_URL: redis.url,
      DATABASE_URL: pg.url,
      ZKML_API_RUNS_JOBS: 'true',
      ZKML_DATA_DIR: dir,
      ZKML_MODELS_DIR: path.join(dir, 'none'),
      ZKML_PROVER_THREADS: '1',
      ZKML_LOCK_MS: '3000',
      ZKML_STALLED_MS: '1000',
      // Re-announce stored jobs quickly once Redis is back without its queue.
      ZKML_SWEEP_MS: '1000',
    });
    modelId = await readyTiny(api.url, {}, 180_000);
  });
  after(async () => {
    await api?.kill('SIGKILL');
    await redis?.destroy();
    await pg?.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A submission while a dependency is down: a quick 503 problem+json with Retry-After and the code. */
  async function refusedQuickly(code: string): Promise<void> {
    const t0 = performance.now();
    const r = await http(api!.url, 'POST', '/v1/proofs', { modelId, input: TINY_INPUT });
    const ms = performance.now() - t0;
    assert.equal(r.status, 503, JSON.stringify(r.body));
    assert.match(r.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.equal(r.body.code, code);
    assert.ok(Number(r.headers.get('retry-after')) >= 1, 'Retry-After');
    assert.ok(ms < 2000, `answered in ${ms.toFixed(0)} ms`);
  }

  async function notReady(dependency: 'store' | 'queue'): Promise<void> {
    const h = await http(api!.url, 'GET', '/health');
    assert.equal(h.status, 503);
    assert.equal(h.body.ready, false);
    assert.equal(h.body.checks[dependency], 'unavailable');
  }

  async function recovered(): Promise<void> {
    await waitFor('the service to be ready again', async () => (await http(api!.url, 'GET', '/health')).status === 200, 30_000, 200);
    const p = await http(api!.url, 'POST', '/v1/proofs', { modelId, input: TINY_INPUT });
    assert.equal(p.status, 202, JSON.stringify(p.body));
    await waitFor('a proof after the recovery', async () => {
      const r = await http(api!.url, 'GET', `/v1/proofs/${p.body.id}`);
      assert.notEqual(r.body.state, 'failed', JSON.stringify(r.body.error));
      return r.body.state === 'done';
    });
  }

  async function exactlyOnce(batchId: string): Promise<void> {
    const final = await waitForBatch(api!.url, batchId, N, 'the batch accepted before the outage');
    for (const item of final.items) assert.equal(item.receipt.format, 'zkml-receipt/1');
    const c = new Client({ connectionString: pg!.url });
    await c.connect();
    try {
      await c.query('SET search_path TO zkml');
      const rows = await c.query('SELECT j.id, COUNT(r.job_id)::int AS results FROM jobs j LEFT JOIN results r ON r.job_id = j.id WHERE j.batch_id = $1 GROUP BY j.id', [batchId]);
      assert.equal(rows.rows.length, N);
      for (const r of rows.rows) assert.equal(r.results, 1, `job ${r.id}`);
    } finally {
      await c.end();
    }
  }

  test('Redis stopped: 503 QUEUE_UNAVAILABLE at once, /health names the queue; back: accepted jobs complete once', async (t) => {
    if (missing) return t.skip(missing);
    const batch = await http(api!.url, 'POST', '/v1/batches', { modelId, inputs: tinyInputs(N) });
    assert.equal(batch.status, 202);
    await redis!.stop();
    await refusedQuickly('QUEUE_UNAVAILABLE');
    await notReady('queue');
    assert.equal(api!.proc.exitCode, null, 'the service is still up');
    await redis!.start(); // empty: the queue was lost with it
    await recovered();
    await exactlyOnce(batch.body.id);
  });

  test('PostgreSQL stopped: the service stays up, 503 STORE_UNAVAILABLE at once, /health names the store; back: it recovers', async (t) => {
    if (missing) return t.skip(missing);
    const batch = await http(api!.url, 'POST', '/v1/batches', { modelId, inputs: tinyInputs(N + 3).slice(3) });
    assert.equal(batch.status, 202);
    await pg!.stop();
    await refusedQuickly('STORE_UNAVAILABLE');
    await notReady('store');
    // Idle pool connections dropped by the server must not kill the process.
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(api!.proc.exitCode, null, `the service is still up:\n${api!.logs.slice(-5).join('\n')}`);
    await pg!.start();
    await recovered();
    await exactlyOnce(batch.body.id);
  });
});
