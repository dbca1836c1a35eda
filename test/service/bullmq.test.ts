/**
 * Scale-out mode on private Redis and PostgreSQL servers of this test (the machine's shared servers
 * are never stopped): the API only enqueues; two `zkml worker` processes share the artifact folder
 * and take jobs. One worker is killed (SIGKILL) while it holds a job; the other picks the job up
 * once BullMQ sees its lock lapse, and every job completes with exactly one stored result. Then
 * Redis is restarted empty mid-batch. Skipped when the server binaries are missing (fails under CI=true).
 */
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Queue } from 'bullmq';
import { Client } from 'pg';
import { after, before, describe, test } from 'node:test';
import { makeTempDir } from '../helpers/onnx-builders';
import { privateServersMissing, PrivateServer, startPrivatePostgres, startPrivateRedis } from '../helpers/private-servers';
import { Child, http, readyTiny, startChild, tinyInputs, waitFor, waitForBatch } from '../helpers/service';

const N = 6;
describe('scale-out: BullMQ + PostgreSQL with two workers', () => {
  const missing = privateServersMissing();
  let up = false;
  let redis: PrivateServer;
  let postgres: PrivateServer;
  let DATABASE_URL = '';
  const tag = crypto.randomBytes(4).toString('hex');
  const schema = `zkml_test_${tag}`;
  const queueName = `zkml-test-${tag}`;
  const dir = makeTempDir('service-bullmq');
  let env: Record<string, string> = {};
  const redisConnection = () => ({ host: '127.0.0.1', port: redis.port });
  const children: Child[] = [];

  before(async () => {
    if (missing) {
      if (process.env.CI === 'true') throw new Error(`CI needs private Redis and PostgreSQL servers: ${missing}`);
      return;
    }
    redis = await startPrivateRedis();
    postgres = await startPrivatePostgres();
    DATABASE_URL = postgres.url;
    up = true;
    env = {
      PORT: '0',
      REDIS_URL: redis.url,
      DATABASE_URL,
      ZKML_DB_SCHEMA: schema,
      ZKML_QUEUE_NAME: queueName,
      ZKML_DATA_DIR: dir,
      ZKML_ARTIFACTS_DIR: path.join(dir, 'shared-artifacts'),
      ZKML_MODELS_DIR: path.join(dir, 'none'),
      ZKML_PROVER_THREADS: '1',
      // Short locks so the killed worker's job is handed over within seconds.
      ZKML_LOCK_MS: '3000',
      ZKML_STALLED_MS: '1000',
      // Re-announce stored jobs quickly after Redis loses its queue.
      ZKML_SWEEP_MS: '1000',
    };
  });

  after(async () => {
    await Promise.all(children.map((c) => c.kill('SIGKILL')));
    await redis?.destroy();
    await postgres?.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a worker killed mid-job: another finishes it, each job completes once', async (t) => {
    if (!up) return t.skip(missing ?? 'no servers');
    const api = await startChild('serve', env);
    children.push(api);
    const w1 = await startChild('worker', env);
    const w2 = await startChild('worker', env);
    children.push(w1, w2);
    const health = await http(api.url, 'GET', '/health');
    assert.equal(health.body.queue.mode, 'bullmq');

    const modelId = await readyTiny(api.url);
    const batch = await http(api.url, 'POST', '/v1/batches', { modelId, inputs: tinyInputs(N) });
    assert.equal(batch.status, 202);
    // Queue payloads carry job ids only: the inputs stay in the database.
    const q = new Queue(queueName, { connection: redisConnection() });
    const queued = await q.getJobs(['waiting', 'active', 'completed']);
    await q.close();
    assert.ok(queued.length >= 1);
    for (const j of queued) assert.deepEqual(Object.keys(j.data), ['jobId']);

    const pg = new Client({ connectionString: DATABASE_URL });
    await pg.connect();
    try {
      await pg.query(`SET search_path TO ${schema}`);
      // Wait until worker 1 holds a job, then kill it.
      const owner1 = `:${w1.proc.pid}`;
      const victim = await waitFor(
        'worker 1 to hold a job',
        async () => {
          const r = await pg.query("SELECT id, owner FROM jobs WHERE state = 'running' AND kind = 'prove'");
          return r.rows.find((row) => String(row.owner).endsWith(owner1))?.id as string | undefined;
        },
        60_000,
        10,
      );
      w1.proc.kill('SIGKILL');
      await w1.exited;

      const url = api.url;
      const final = await waitForBatch(url, batch.body.id, N, 'the batch');
      for (const item of final.items) assert.equal(item.receipt.format, 'zkml-receipt/1');
      const v = await pg.query('SELECT state, attempts, owner FROM jobs WHERE id = $1', [victim]);
      assert.equal(v.rows[0].state, 'done');
      assert.ok(v.rows[0].attempts >= 2, `the killed worker's job ran again (attempts ${v.rows[0].attempts})`);
      assert.ok(String(v.rows[0].owner).endsWith(`:${w2.proc.pid}`), 'worker 2 finished it');
      const dupes = await pg.query('SELECT job_id FROM results GROUP BY job_id HAVING COUNT(*) > 1');
      assert.deepEqual(dupes.rows, []);
      const counts = await pg.query("SELECT COUNT(*)::int AS jobs, COUNT(r.job_id)::int AS results FROM jobs j LEFT JOIN results r ON r.job_id = j.id WHERE j.kind = 'prove'");
      assert.deepEqual(counts.rows[0], { jobs: N, results: N });
      const payloads = await pg.query('SELECT COUNT(*)::int AS n FROM jobs WHERE payload IS NOT NULL');
      assert.equal(payloads.rows[0].n, 0, 'inputs are erased when a job ends');
      const receipt = final.items.find((i: any) => i.id === victim).receipt;
      assert.equal((await http(url, 'POST', '/v1/verify', { receipt })).body.valid, true);
    } finally {
      await pg.end();
    }
  });
  test('Redis stopped and restarted mid-batch (its queue lost): every accepted job completes once', async (t) => {
    if (!up) return t.skip(missing ?? 'no servers');
    const api = children[0];
    if (!api) return t.skip('needs the services of the previous test');
    const worker = await startChild('worker', env);
    children.push(worker);
    const modelId = await readyTiny(api.url);
    const batch = await http(api.url, 'POST', '/v1/batches', {
      modelId,
      inputs: tinyInputs(N).map((doc) => ({ input_data: (doc as { input_data: number[][] }).input_data.map((row) => row.map((v) => v / 2)) })),
    });
    assert.equal(batch.status, 202);
    // Stopped without saving (it keeps nothing on disk: the queue is lost) and started again.
    await redis.stop();
    await new Promise((r) => setTimeout(r, 1500));
    await redis.start();
    const final = await waitForBatch(api.url, batch.body.id, N, 'the batch after the Redis restart');
    for (const item of final.items) assert.equal(item.receipt.format, 'zkml-receipt/1');
    const pg = new Client({ connectionString: DATABASE_URL });
    await pg.connect();
    try {
      await pg.query(`SET search_path TO ${schema}`);
      const dupes = await pg.query('SELECT job_id FROM results GROUP BY job_id HAVING COUNT(*) > 1');
      assert.deepEqual(dupes.rows, []);
      const ids = final.items.map((i: any) => i.id);
      const stored = await pg.query('SELECT COUNT(*)::int AS n FROM results WHERE job_id = ANY($1)', [ids]);
      assert.equal(stored.rows[0].n, N);
    } finally {
      await pg.end();
    }
  });
});
