/**
 * The shipped transformer encoder block (models/transformer-encoder, seeded weights): the file is
 * what build.ts writes, ingest expands its LayerNorms and keeps its attention (two run-time MatMuls
 * per head, Softmax) and Gelu, the circuit's constraint count is pinned, its witness equals the
 * integer reference on input.json, and a witness with a changed output violates the constraints.
 * Proving and the audit are in the model's README (zkml prove, zkml audit).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { encoderGraph } from '../../models/transformer-encoder/build';
import { readEzklInput } from '../../models/ezkl-json';
import { seededRng } from '../../models/rng';
import { compileModel } from '../../src/compiler/compile';
import { computeWitness, loadR1cs, verifyWitness } from '../../src/compiler/r1cs-check';
import { artifactPath } from '../../src/formats/artifacts';
import { readCompiled } from '../../src/formats/compiled-model';
import { BN254_R } from '../../src/formats/field';
import { loadOnnx } from '../../src/onnx/load';
import { writeOnnx } from '../../src/onnx/writer';
import { packageRoot } from '../../src/package-root';
import { circuitInput, quantizeSample } from '../../src/quantize/codec';
import { runReference } from '../../src/quantize/reference';
import { makeTempDir } from '../helpers/onnx-builders';

const DIR = path.join(packageRoot(), 'models', 'transformer-encoder');
/** Pinned: a change here is a change of the circuit, to be explained (README). */
const CONSTRAINTS = 26_163;

describe('transformer-encoder', () => {
  test('model.onnx is what build.ts writes; ingest keeps attention and Gelu', () => {
    const bytes = fs.readFileSync(path.join(DIR, 'model.onnx'));
    assert.deepEqual(Buffer.from(writeOnnx(encoderGraph(seededRng(1407)))), bytes);
    const ops = loadOnnx(bytes).nodes.map((n) => n.opType);
    assert.equal(ops.filter((op) => op === 'Softmax').length, 1);
    assert.equal(ops.filter((op) => op === 'Gelu').length, 1);
    assert.equal(ops.filter((op) => op === 'zkml.InverseStdDev').length, 2);
    assert.equal(ops.filter((op) => op === 'MatMul').length, 8);
  });

  test('circuit: pinned constraints, witness = integer reference, a changed output is refused', async () => {
    const dir = makeTempDir('encoder');
    try {
      const result = await compileModel(path.join(DIR, 'model.onnx'), path.join(dir, 'build'), { calibration: path.join(DIR, 'calibration.json') });
      assert.equal(result.constraints, result.report.predictedConstraints, 'predicted constraints = r1cs');
      assert.equal(result.constraints, CONSTRAINTS);
      const { model } = readCompiled(result.buildDir);
      const r1cs = loadR1cs(artifactPath(result.buildDir, 'r1cs'));
      const q = quantizeSample(model, new Map([['x', Float64Array.from(readEzklInput(path.join(DIR, 'input.json')).input_data[0])]]));
      const out = model.outputs[0];
      const size = model.tensors[out.tensor].size;
      const want = runReference(model, q)[out.tensor];
      const witness = await computeWitness(circuitInput(model, q), artifactPath(result.buildDir, 'wasm'));
      assert.deepEqual(verifyWitness(r1cs, witness), { ok: true });
      assert.deepEqual(
        witness.slice(1, 1 + size).map((v) => (v > BN254_R / 2n ? v - BN254_R : v)),
        want,
      );
      for (let wire = 1; wire <= size; wire++) {
        const mutated = witness.slice();
        mutated[wire] = (mutated[wire] + 1n) % BN254_R;
        assert.equal(verifyWitness(r1cs, mutated).ok, false, `output wire ${wire} + 1 is rejected`);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
