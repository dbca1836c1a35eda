/**
 * The job stores' exactly-once rules, on SQLite and (when reachable) PostgreSQL: idempotency keys,
 * the bounded queue, claim/complete/fail guarded by state, one result per job, payload erasure,
 * recovery after a restart.
 */
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import type { NewJob } from '../../src/jobs/job';
import { PgJobStore } from '../../src/jobs/pg-store';
import { SqliteJobStore } from '../../src/jobs/sqlite-store';
import type { JobStore } from '../../src/jobs/store';
import { makeTempDir } from '../helpers/onnx-builders';

const DATABASE_URL = process.env.ZKML_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const MODEL = 'a'.repeat(64);
const job = (extra: Partial<NewJob> = {}): NewJob => ({ id: crypto.randomUUID(), kind: 'prove', modelId: MODEL, payload: { input: { secret: 1 } }, ...extra });

function pgReachable(): Promise<boolean> {
  const u = new URL(DATABASE_URL);
  return new Promise((resolve) => {
    const s = net.connect(Number(u.port || 5432), u.hostname);
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

function storeContract(name: string, make: () => Promise<JobStore | undefined>, cleanup: () => Promise<void>) {
  describe(`${name} job store`, () => {
    let store: JobStore | undefined;
    after(async () => {
      await store?.close();
      await cleanup();
    });

    test('idempotency, bounded queue, exactly-once completion, recovery', async (t) => {
      store = await make();
      if (!store) return t.skip('PostgreSQL not reachable');
      await store.init();
      await store.upsertModel({ id: MODEL, name: 'm' });

      const a = await store.createProveJobs([job({ idempotencyKey: 'k' })], {});
      assert.ok(a !== 'full' && a.created);
      const again = await store.createProveJobs([job({ idempotencyKey: 'k' })], {});
      assert.ok(again !== 'full' && !again.created);
      assert.equal(again.jobs[0].id, a.jobs[0].id);

      const batch = { id: crypto.randomUUID(), modelId: MODEL, size: 2, createdAt: new Date().toISOString() };
      assert.equal(await store.createProveJobs([job(), job(), job()], { activeLimit: 3 }), 'full', '1 active + 3 > 3');
      assert.equal(await store.countActive(), 1, 'a refused submission inserts nothing');
      const b = await store.createProveJobs([job({ batchId: batch.id, batchIndex: 0 }), job({ batchId: batch.id, batchIndex: 1 })], { activeLimit: 3, batch });
      assert.ok(b !== 'full' && b.created);
      assert.deepEqual(await store.batchCounts(batch.id), { queued: 2, running: 0, done: 0, failed: 0 });

      const id = a.jobs[0].id;
      const claimed = await store.claim(id, 'w1');
      assert.equal(claimed?.state, 'running');
      assert.equal(claimed?.attempts, 1);
      // A second delivery (a killed worker's job) claims it again; both finish, one result is stored.
      assert.equal((await store.claim(id, 'w2'))?.attempts, 2);
      const [first, second] = await Promise.all([store.complete(id, { n: 1 }), store.complete(id, { n: 2 })]);
      assert.equal([first, second].filter(Boolean).length, 1);
      assert.equal(await store.countResults(id), 1);
      assert.equal(await store.fail(id, { code: 'INTERNAL', message: 'late' }), false);
      assert.equal(await store.claim(id, 'w3'), undefined, 'a finished job is not claimed');
      const done = await store.getJob(id);
      assert.equal(done?.state, 'done');
      assert.equal(done?.payload, null, 'the input is erased');

      // b[0] was running when the process died: recovery queues it again, oldest first.
      const [b0, b1] = b.jobs.map((j) => j.id);
      await store.claim(b0, 'w1');
      const pending = await store.recover();
      assert.deepEqual(
        pending.map((j) => j.id).filter((x) => x === b0 || x === b1),
        [b0, b1],
      );
      const failed = await store.claim(b1, 'w1');
      assert.ok(failed);
      assert.equal(await store.fail(b1, { code: 'SHAPE_MISMATCH', message: 'bad' }), true);
      assert.equal((await store.getJob(b1))?.error?.code, 'SHAPE_MISMATCH');
      assert.equal(await store.countResults(b1), 0);
      const page = await store.batchItems(batch.id, 1, 5);
      assert.deepEqual(
        page.map((j) => j.batchIndex),
        [1],
      );
    });

    test("a job's requester and a model's deployment are stored", async (t) => {
      if (!store) return t.skip('PostgreSQL not reachable');
      const r = await store.createProveJobs([job({ requester: 'f'.repeat(64) }), job()], {});
      assert.ok(r !== 'full');
      assert.deepEqual(
        (await Promise.all(r.jobs.map((j) => store!.getJob(j.id)))).map((j) => j?.requester),
        ['f'.repeat(64), null],
      );
      assert.equal((await store.getModel(MODEL))?.deployment, null);
      const deployment = { chainId: 31337, verifier: { address: '0x' + '1'.repeat(40), txHash: '0x' + '2'.repeat(64) }, deployedAt: new Date().toISOString() };
      await store.setDeployment(MODEL, deployment);
      assert.deepEqual((await store.getModel(MODEL))?.deployment, deployment);
    });

    test("a failed job's and a model's error keep their public details; a ready model can be stopped and made ready again", async (t) => {
      if (!store) return t.skip('PostgreSQL not reachable');
      const r = await store.createProveJobs([job()], {});
      assert.ok(r !== 'full');
      const id = r.jobs[0].id;
      await store.claim(id, 'w1');
      const error = { code: 'INPUT_NOT_FINITE' as const, message: "input 'x'[3] is NaN", details: { input: 'x', index: 3 } };
      assert.equal(await store.fail(id, error), true);
      assert.deepEqual((await store.getJob(id))?.error, error);

      const other = 'c'.repeat(64);
      await store.upsertModel({ id: other, name: 'other' });
      assert.equal(await store.setModelHealth(other, error), false, 'only a ready or stopped model');
      const compile = await store.startCompile(other, { id: crypto.randomUUID(), kind: 'compile', modelId: other, payload: {} });
      await store.claim(compile.id, 'w1');
      await store.complete(compile.id, {}, { status: 'ready', vkSha256: 'd'.repeat(64), error: null });
      const stopped = { code: 'ARTIFACT_HASH_MISMATCH' as const, message: 'model stopped: circuit.zkey has sha256 …', details: { artifact: 'circuit.zkey' } };
      assert.equal(await store.setModelHealth(other, stopped), true);
      assert.deepEqual(await store.getModel(other).then((m) => [m?.status, m?.error]), ['stopped', stopped]);
      assert.equal(await store.setModelHealth(other, null), true);
      assert.deepEqual(await store.getModel(other).then((m) => [m?.status, m?.error, m?.vkSha256]), ['ready', null, 'd'.repeat(64)]);
    });

    test('a webhook delivery is stored with its job, due once the job ends, claimed once, and records its attempts', async (t) => {
      if (!store) return t.skip('PostgreSQL not reachable');
      const url = 'http://127.0.0.1:9/hook';
      const r = await store.createProveJobs([job({ callbackUrl: url }), job()], {});
      assert.ok(r !== 'full');
      const [hooked, plain] = r.jobs.map((j) => j.id);
      assert.equal(await store.getWebhook(plain), undefined);
      assert.deepEqual({ ...(await store.getWebhook(hooked))!, nextAt: 'set' }, { url, attempts: 0, lastStatus: null, deliveredAt: null, lastError: null, nextAt: 'set' });
      const later = new Date(Date.now() + 60_000).toISOString();
      const mine = <T extends { jobId: string }>(due: T[]) => due.filter((d) => d.jobId === hooked);
      assert.deepEqual(mine(await store.webhooksDue(later, 100)), [], 'not due while the job is queued');
      await store.claim(hooked, 'w1');
      await store.complete(hooked, { n: 1 });
      const [due] = mine(await store.webhooksDue(later, 100));
      assert.equal(due?.url, url);
      const lease = new Date(Date.now() + 120_000).toISOString();
      const claims = await Promise.all([store.claimWebhook(hooked, due.nextAt, lease), store.claimWebhook(hooked, due.nextAt, lease)]);
      assert.equal(claims.filter(Boolean).length, 1, 'one claim wins');
      assert.deepEqual(mine(await store.webhooksDue(later, 100)), [], 'not due while leased');
      await store.recordWebhookAttempt(hooked, { status: 500, error: 'HTTP 500', deliveredAt: null, nextAt: due.nextAt });
      assert.equal(mine(await store.webhooksDue(later, 100)).length, 1, 'due again after a failure');
      const at = new Date().toISOString();
      await store.recordWebhookAttempt(hooked, { status: 200, error: null, deliveredAt: at, nextAt: null });
      assert.deepEqual(await store.getWebhook(hooked), { url, attempts: 2, lastStatus: 200, deliveredAt: at, lastError: null, nextAt: null });
      assert.deepEqual(mine(await store.webhooksDue(later, 100)), [], 'delivered: never due again');
    });
  });
}

test('a SQLite file made before the requester, deployment and error-details columns gets them at init', async () => {
  const oldDir = makeTempDir('jobs-store-old');
  const file = path.join(oldDir, 'old.sqlite');
  const old = new Database(file);
  old.exec(`CREATE TABLE models (id TEXT PRIMARY KEY, name TEXT NOT NULL, status TEXT NOT NULL, calibration TEXT,
    compile_job_id TEXT, vk_sha256 TEXT, error_code TEXT, error_message TEXT, created_at TEXT NOT NULL)`);
  old.exec(`CREATE TABLE jobs (id TEXT PRIMARY KEY, kind TEXT NOT NULL, model_id TEXT NOT NULL, batch_id TEXT, batch_index INTEGER,
    idempotency_key TEXT UNIQUE, state TEXT NOT NULL, phase TEXT NOT NULL, percent REAL NOT NULL,
    payload TEXT, error_code TEXT, error_message TEXT, attempts INTEGER NOT NULL DEFAULT 0, owner TEXT,
    created_at TEXT NOT NULL, started_at TEXT, finished_at TEXT, seq BIGINT NOT NULL)`);
  old.prepare("INSERT INTO models (id, name, status, created_at) VALUES (?, 'm', 'ready', '2026-01-01')").run(MODEL);
  old.close();
  const store = new SqliteJobStore(file);
  try {
    await store.init();
    await store.init(); // idempotent
    assert.equal((await store.getModel(MODEL))?.deployment, null);
    const r = await store.createProveJobs([job({ requester: 'e'.repeat(64) })], {});
    assert.ok(r !== 'full');
    assert.equal((await store.getJob(r.jobs[0].id))?.requester, 'e'.repeat(64));
    const stopped = { code: 'ARTIFACT_MISSING' as const, message: 'missing circuit.zkey', details: { artifact: 'circuit.zkey' } };
    assert.equal(await store.setModelHealth(MODEL, stopped), true);
    assert.deepEqual((await store.getModel(MODEL))?.error, stopped);
  } finally {
    await store.close();
    fs.rmSync(oldDir, { recursive: true, force: true });
  }
});

const dir = makeTempDir('jobs-store');
storeContract(
  'SQLite',
  async () => new SqliteJobStore(path.join(dir, 'jobs.sqlite')),
  async () => fs.rmSync(dir, { recursive: true, force: true }),
);

const schema = `zkml_store_${crypto.randomBytes(4).toString('hex')}`;
storeContract(
  'PostgreSQL',
  async () => ((await pgReachable()) ? new PgJobStore(DATABASE_URL, schema) : undefined),
  async () => {
    if (!(await pgReachable())) return;
    const c = new Client({ connectionString: DATABASE_URL });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await c.end();
  },
);
