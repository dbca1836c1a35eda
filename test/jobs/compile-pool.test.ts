/**
 * Compile jobs in the compile thread (src/jobs/compile-pool.ts): progress and the summary come back,
 * a compile error keeps its code across the thread boundary, a job over its time limit fails
 * JOB_TIMEOUT with circom killed and the next job runs in a fresh thread, and a job stopped by
 * shutdown is left running in the store (not failed) so that recovery runs it again to the end.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { ArtifactStore } from '../../src/jobs/artifact-store';
import { CompilePool, JobInterrupted } from '../../src/jobs/compile-pool';
import type { CompileProgress } from '../../src/app/compile-and-setup';
import { JobRunner } from '../../src/jobs/runner';
import { SqliteJobStore } from '../../src/jobs/sqlite-store';
import type { Prover } from '../../src/prover/prover';
import { calibrationFile, makeTempDir, modelFile, simpleGraph } from '../helpers/onnx-builders';
import { rejectsWith } from '../helpers/rejects-with';

const HOUR = 3_600_000;
const tinyJob = (buildDir: string) => ({ onnxPath: modelFile('tiny'), buildDir, calibration: JSON.parse(fs.readFileSync(calibrationFile('tiny'), 'utf8')) });

/** Loads (onnxruntime accepts it) but does not compile: a Where whose condition is computed at run time. */
function unsupportedModel(): Uint8Array {
  return simpleGraph([{ opType: 'Einsum', name: 'einsum_x', inputs: ['x', 'x'], outputs: ['y'] }], { yShape: [1, 4] });
}

/** This process's child processes, zombies included (ps lists itself, left out; it exits 1 when that is all). */
function childProcesses(): string[] {
  try {
    const out = execFileSync('ps', ['-o', 'stat=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
    return out.split('\n').filter((l) => l.trim() && !l.includes('ps -o'));
  } catch {
    return [];
  }
}

describe('compile thread', () => {
  const dir = makeTempDir('compile-pool');
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('compile + setup of models/tiny: progress through both stages, the summary, a readable build', async () => {
    const pool = new CompilePool(HOUR);
    try {
      const seen: CompileProgress[] = [];
      const buildDir = path.join(dir, 'tiny');
      const summary = await pool.run(tinyJob(buildDir), (p) => seen.push(p));
      assert.ok(summary.constraints > 0);
      assert.match(summary.vkSha256, /^[0-9a-f]{64}$/);
      assert.equal(summary.devSingleContributor, true);
      assert.ok(
        // The r1cs is written by the direct backend (circom only for what it does not cover).
        seen.some((p) => p.phase === 'compile: r1cs'),
        JSON.stringify(seen),
      );
      assert.ok(
        seen.some((p) => p.phase.startsWith('setup: zkey: ')),
        JSON.stringify(seen),
      );
      assert.deepEqual(seen.at(-1), { phase: 'setup: done', percent: 100 });
      const percents = seen.map((p) => p.percent);
      assert.deepEqual(
        percents,
        [...percents].sort((a, b) => a - b),
        'progress never goes back',
      );
      assert.ok(fs.existsSync(path.join(buildDir, 'verification_key.json')));
    } finally {
      await pool.close();
    }
  });

  test('a compile error comes back with its code and message; over the time limit: JOB_TIMEOUT, circom killed, the next job in a fresh thread', async () => {
    const onnxPath = path.join(dir, 'einsum.onnx');
    fs.writeFileSync(onnxPath, unsupportedModel());
    const pool = new CompilePool(2_000);
    try {
      await assert.rejects(
        pool.run({ onnxPath, buildDir: path.join(dir, 'einsum') }, () => undefined),
        rejectsWith('ONNX_UNSUPPORTED_OP', /'einsum_x' \(Einsum\)/),
      );

      // mnist-mlp spends half a minute in circom: the limit stops it there.
      const t0 = Date.now();
      await assert.rejects(
        pool.run({ onnxPath: modelFile('mnist-mlp'), buildDir: path.join(dir, 'mlp') }, () => undefined),
        rejectsWith('JOB_TIMEOUT', /within 2 s/),
      );
      assert.ok(Date.now() - t0 < 20_000, `stopped after ${Date.now() - t0} ms`);
      const deadline = Date.now() + 5_000;
      while (childProcesses().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(childProcesses(), [], 'no circom left running or unreaped');

      await assert.rejects(
        pool.run({ onnxPath, buildDir: path.join(dir, 'einsum2') }, () => undefined),
        rejectsWith('ONNX_UNSUPPORTED_OP'),
      );
    } finally {
      await pool.close();
    }
  });

  test('shutdown mid-setup: the job stays running in the store, recovery runs it to the end', async () => {
    const store = new SqliteJobStore(path.join(dir, 'jobs.sqlite'));
    await store.init();
    const artifacts = new ArtifactStore(path.join(dir, 'artifacts'));
    const modelId = artifacts.putOnnx(fs.readFileSync(modelFile('tiny')));
    await store.upsertModel({ id: modelId, name: 'tiny', calibration: JSON.parse(fs.readFileSync(calibrationFile('tiny'), 'utf8')) });
    const job = await store.startCompile(modelId, { id: crypto.randomUUID(), kind: 'compile', modelId, payload: {} });
    // Compile jobs never reach the prover.
    const noProver = {} as Prover;
    try {
      const pool = new CompilePool(HOUR);
      const runner = new JobRunner(store, artifacts, noProver, pool, 'test:1', 3);
      const run = runner.run(job.id);
      for (;;) {
        const j = (await store.getJob(job.id))!;
        if (j.phase.startsWith('setup:')) break;
        assert.equal(j.state, 'running', JSON.stringify(j));
        await new Promise((r) => setTimeout(r, 20));
      }
      const t0 = Date.now();
      await pool.close();
      await run;
      assert.ok(Date.now() - t0 < 10_000, `closed in ${Date.now() - t0} ms`);
      const stopped = (await store.getJob(job.id))!;
      assert.equal(stopped.state, 'running', 'an interrupted job is not failed');
      assert.equal(stopped.error, null);
      assert.equal((await store.getModel(modelId))!.status, 'compiling');
      await assert.rejects(
        pool.run(tinyJob(path.join(dir, 'late')), () => undefined),
        (e) => e instanceof JobInterrupted,
      );

      // A restart: recovery queues it again, and a new runner finishes it.
      assert.deepEqual(
        (await store.recover()).map((j) => j.id),
        [job.id],
      );
      const pool2 = new CompilePool(HOUR);
      try {
        await new JobRunner(store, artifacts, noProver, pool2, 'test:2', 3).run(job.id);
      } finally {
        await pool2.close();
      }
      const done = (await store.getJob(job.id))!;
      assert.equal(done.state, 'done', JSON.stringify(done.error));
      assert.equal(done.attempts, 2);
      assert.equal(await store.countResults(job.id), 1);
      assert.equal((await store.getModel(modelId))!.status, 'ready');
    } finally {
      await store.close();
    }
  });
});
