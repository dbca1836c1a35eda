/**
 * Durable jobs: the service (a child process) is killed with SIGKILL while it proves a batch,
 * restarted on the same data folder, and every accepted job completes, each with exactly one stored
 * result; the interrupted job ran again. An idempotency key still returns the same job after restart.
 */
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { makeTempDir } from '../helpers/onnx-builders';
import { Child, http, readyTiny, startChild, TINY_INPUT, tinyInputs, waitFor, waitForBatch } from '../helpers/service';

const N = 12;

describe('service crash and restart (SQLite + in-process queue)', () => {
  const dir = makeTempDir('service-crash');
  const env = { PORT: '0', ZKML_DATA_DIR: dir, ZKML_MODELS_DIR: path.join(dir, 'none'), ZKML_PROVER_THREADS: '1' };
  let child: Child | undefined;

  after(async () => {
    await child?.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('killed mid-proof, restarted: every job completes once', async () => {
    child = await startChild('serve', env);
    const modelId = await readyTiny(child.url);
    const single = await http(child.url, 'POST', '/v1/proofs', { modelId, input: TINY_INPUT, idempotencyKey: 'k-1' });
    assert.equal(single.status, 202);
    const batch = await http(child.url, 'POST', '/v1/batches', { modelId, inputs: tinyInputs(N) });
    assert.equal(batch.status, 202);

    // Kill while a job is running and some are done: the running one is interrupted mid-proof.
    const base = child.url;
    await waitFor(
      'a running job after a finished one',
      async () => {
        const b = await http(base, 'GET', `/v1/batches/${batch.body.id}?limit=100`);
        return b.body.counts.done >= 1 && b.body.counts.running >= 1;
      },
      60_000,
      20,
    );
    child.proc.kill('SIGKILL');
    await child.exited;
    // What the database says at the moment of the kill is the truth about which job was interrupted.
    const db0 = new Database(path.join(dir, 'jobs.sqlite'), { readonly: true });
    const interrupted = (db0.prepare("SELECT id, phase FROM jobs WHERE state = 'running'").all() as Array<{ id: string; phase: string }>).map((r) => r.id);
    db0.close();
    assert.ok(interrupted.length >= 1, 'a job was running at the kill');

    child = await startChild('serve', env);
    const url = child.url;
    const final = await waitForBatch(url, batch.body.id, N, 'the batch after restart');
    assert.equal(final.items.length, N);
    for (const item of final.items) assert.equal(item.receipt.format, 'zkml-receipt/1');
    // The job that was mid-proof at the kill ran a second time; its result was stored once.
    for (const id of interrupted) {
      const item = final.items.find((i: any) => i.id === id);
      assert.ok(item.attempts >= 2, `job ${id} attempts ${item.attempts}`);
    }
    const again = await http(url, 'POST', '/v1/proofs', { modelId, input: TINY_INPUT, idempotencyKey: 'k-1' });
    assert.equal(again.status, 200);
    assert.equal(again.body.id, single.body.id);
    await waitFor('the single proof', async () => (await http(url, 'GET', `/v1/proofs/${single.body.id}`)).body.state === 'done');
    const receipt = (await http(url, 'GET', `/v1/proofs/${final.items[0].id}`)).body.receipt;
    assert.equal((await http(url, 'POST', '/v1/verify', { receipt })).body.valid, true);

    assert.equal(await child.kill('SIGTERM'), 0, 'a graceful stop exits 0');
    child = undefined;
    // Straight from the database: one result per job, none for unfinished jobs, no private input kept.
    const db = new Database(path.join(dir, 'jobs.sqlite'), { readonly: true });
    try {
      const dupes = db.prepare('SELECT job_id, COUNT(*) AS n FROM results GROUP BY job_id HAVING n > 1').all();
      assert.deepEqual(dupes, []);
      const jobs = db.prepare("SELECT COUNT(*) AS n FROM jobs WHERE kind = 'prove'").get() as { n: number };
      const results = db.prepare("SELECT COUNT(*) AS n FROM results r JOIN jobs j ON j.id = r.job_id WHERE j.kind = 'prove'").get() as { n: number };
      assert.equal(jobs.n, N + 1);
      assert.equal(results.n, N + 1);
      const payloads = db.prepare("SELECT COUNT(*) AS n FROM jobs WHERE payload IS NOT NULL AND state = 'done'").get() as { n: number };
      assert.equal(payloads.n, 0, 'inputs are erased when a job ends');
    } finally {
      db.close();
    }
  });
});
