/**
 * The shipped GRU sequence classifier (models/gru-sequence): the training script rebuilds the shipped
 * files byte for byte (training is deterministic), onnxruntime agrees with the trainer on every
 * held-out digit, the circuit's accuracy on them is pinned (the integer reference, which the witness
 * equals), and the circuit compiles to a pinned size, refuses every audit mutation (and, in the slow
 * tier, proves input.json and verifies).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { readEzklInput } from '../../models/ezkl-json';
import { evaluateGruSequence } from '../../models/gru-sequence/evaluate';
import { buildGruSequence, calibrationDigits, ortPredict, sequenceSplit } from '../../models/gru-sequence/train';
import { loadOnnx } from '../../src/onnx/load';
import { packageRoot } from '../../src/package-root';
import { proveShippedModel, SHIPPED_CHECK } from '../helpers/shipped-proof';

const DIR = path.join(packageRoot(), 'models', 'gru-sequence');
/** Pinned: a change here is a change of the circuit, to be explained (README). */
const CONSTRAINTS = 19_320;

describe('gru-sequence', () => {
  test('the training script rebuilds model.onnx, input.json and calibration.json; onnxruntime agrees with the trainer', async () => {
    const { onnx, trainerTest } = buildGruSequence();
    assert.deepEqual(Buffer.from(onnx), fs.readFileSync(path.join(DIR, 'model.onnx')));
    const ops = loadOnnx(onnx).nodes.map((n) => n.opType);
    assert.ok(!ops.includes('GRU') && ops.includes('Sigmoid') && ops.includes('Tanh'), 'ingest unrolls the GRU into gates');
    const { train, test: heldOut } = sequenceSplit();
    assert.deepEqual(readEzklInput(path.join(DIR, 'input.json')).input_data, [heldOut[0].rows]);
    assert.deepEqual(
      readEzklInput(path.join(DIR, 'calibration.json')).input_data,
      calibrationDigits(train).map((d) => d.rows),
    );
    assert.deepEqual(await ortPredict(path.join(DIR, 'model.onnx'), heldOut), trainerTest);
  });

  test('held out (1,000 digits): float 86.0 %, circuit 85.8 %, the same class on 995', async () => {
    const r = await evaluateGruSequence();
    assert.deepEqual([r.n, r.float, r.circuit, r.agree], [1000, 860, 858, 995]);
    assert.ok(r.maxError < 0.5, `max logit error ${r.maxError}`);
  });

  test(`circuit: ${SHIPPED_CHECK}`, async () => {
    const { maxAbsError } = await proveShippedModel('gru-sequence', CONSTRAINTS);
    assert.ok(maxAbsError < 0.05, `input.json: max error ${maxAbsError} against onnxruntime`);
  });
});
