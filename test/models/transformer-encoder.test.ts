/**
 * The shipped transformer encoder block (models/transformer-encoder, trained on MNIST read as 4
 * tokens): the build script rebuilds the shipped model byte for byte (training is deterministic) and
 * onnxruntime agrees with the trainer on every held-out digit (slow tier), ingest expands its LayerNorms and keeps
 * its attention (two run-time MatMuls per head, Softmax) and Gelu, the circuit's held-out accuracy is
 * pinned (the integer reference, which the witness equals), and the circuit compiles to a pinned size,
 * refuses every audit mutation (and, in the slow tier, proves input.json and verifies).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { buildEncoder, ortPredict, tokenSplit } from '../../models/transformer-encoder/build';
import { evaluateEncoder } from '../../models/transformer-encoder/evaluate';
import { readEzklInput } from '../../models/ezkl-json';
import { loadOnnx } from '../../src/onnx/load';
import { packageRoot } from '../../src/package-root';
import { proveShippedModel, SHIPPED_CHECK } from '../helpers/shipped-proof';
import { slowTierOnly } from '../helpers/slow-tier';

const DIR = path.join(packageRoot(), 'models', 'transformer-encoder');
/** Pinned: a change here is a change of the circuit, to be explained (README). */
const CONSTRAINTS = 25_640;

describe('transformer-encoder', () => {
  // Training takes most of a minute: the slow tier's.
  test('the build script rebuilds model.onnx byte for byte; onnxruntime agrees with the trainer', { skip: slowTierOnly() }, async () => {
    const { onnx, trainerTest } = buildEncoder();
    assert.deepEqual(Buffer.from(onnx), fs.readFileSync(path.join(DIR, 'model.onnx')));
    assert.deepEqual(await ortPredict(path.join(DIR, 'model.onnx'), tokenSplit().test), trainerTest);
  });

  test('ingest keeps attention and Gelu and expands the LayerNorms; input.json and calibration.json are the documented digits', () => {
    const bytes = fs.readFileSync(path.join(DIR, 'model.onnx'));
    const ops = loadOnnx(bytes).nodes.map((n) => n.opType);
    assert.equal(ops.filter((op) => op === 'Softmax').length, 1);
    assert.equal(ops.filter((op) => op === 'Gelu').length, 1);
    assert.equal(ops.filter((op) => op === 'zkml.InverseStdDev').length, 2);
    assert.equal(ops.filter((op) => op === 'MatMul').length, 8);
    const { train, test: heldOut } = tokenSplit();
    assert.deepEqual(readEzklInput(path.join(DIR, 'input.json')).input_data, [heldOut[0].tokens]);
    assert.deepEqual(
      readEzklInput(path.join(DIR, 'calibration.json')).input_data,
      train.slice(0, 32).map((d) => d.tokens),
    );
  });

  test('held out (1,000 digits): float 70.9 %, circuit 71.3 %, the same class on 989', async () => {
    const r = await evaluateEncoder();
    assert.deepEqual([r.n, r.float, r.circuit, r.agree], [1000, 709, 713, 989]);
    assert.ok(r.maxError < 0.5, `max score error ${r.maxError}`);
  });

  test(`circuit: ${SHIPPED_CHECK}`, async () => {
    const { maxAbsError } = await proveShippedModel('transformer-encoder', CONSTRAINTS);
    assert.ok(maxAbsError < 0.3, `input.json: max error ${maxAbsError} against onnxruntime`);
  });
});
