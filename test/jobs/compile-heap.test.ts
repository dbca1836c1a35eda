/**
 * The compile thread's heap cap: a compile that needs more than the cap ends as MODEL_TOO_LARGE
 * (the limit in details), the thread dies and the process lives on.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ZkmlError } from '../../src/errors';
import { COMPILE_HEAP_MB, CompilePool } from '../../src/jobs/compile-pool';
import { calibrationFile, makeTempDir, modelFile } from '../helpers/onnx-builders';

test('a compile past the heap cap is MODEL_TOO_LARGE with the limit', { timeout: 90_000 }, async () => {
  assert.ok(COMPILE_HEAP_MB >= 1024, 'the default leaves room for the corpus models');
  const dir = makeTempDir('compile-heap');
  const pool = new CompilePool(3_600_000, undefined, 1, 16);
  try {
    // The MNIST MLP's calibration run and its 784-term rows need far more than 16 MB of heap.
    const job = { onnxPath: modelFile('mnist-mlp'), buildDir: path.join(dir, 'build'), calibration: JSON.parse(fs.readFileSync(calibrationFile('mnist-mlp'), 'utf8')) };
    await assert.rejects(
      pool.run(job, () => undefined),
      (e: unknown) => e instanceof ZkmlError && e.code === 'MODEL_TOO_LARGE' && e.details?.limit === 16 && e.details?.unit === 'MB',
    );
  } finally {
    await pool.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
