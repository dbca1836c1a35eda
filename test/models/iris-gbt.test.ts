/**
 * The shipped gradient-boosted Iris classifier (models/iris-gbt): the script rebuilds the shipped
 * file byte for byte (training is deterministic), onnxruntime agrees with the trainer, and on the
 * held-out samples the circuit's labels (the integer reference, which the witness equals bit for
 * bit) are the float model's.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { buildIrisGbt, irisSplit, predictTrees } from '../../models/iris-gbt/train';
import { evaluateIris } from '../../models/iris-gbt/evaluate';
import { packageRoot } from '../../src/package-root';

const FILE = path.join(packageRoot(), 'models', 'iris-gbt', 'model.onnx');

test('the training script rebuilds the shipped model byte for byte, and onnxruntime agrees with the trainer', async () => {
  const { onnx, trees } = buildIrisGbt();
  assert.deepEqual(Buffer.from(onnx), fs.readFileSync(FILE));
  assert.equal(trees.length, 24);
  const session = await ort.InferenceSession.create(FILE);
  try {
    for (const x of irisSplit().test.features) {
      const r = await session.run({ x: new ort.Tensor('float32', Float32Array.from(x), [1, 4]) });
      assert.equal(Number((r.label.data as BigInt64Array)[0]), predictTrees(trees, x));
    }
  } finally {
    await session.release();
  }
});

test('held out: the circuit labels every sample as the float model does (29 of 30 correct)', () => {
  const r = evaluateIris();
  assert.equal(r.n, 30);
  assert.equal(r.float, 29);
  assert.equal(r.circuit, 29);
  assert.equal(r.agree, 30);
});
