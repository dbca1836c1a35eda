/**
 * The shipped MNIST CNN (circomlib-ml's reference shape, ending in ArgMax): the file has the documented
 * graph, onnxruntime runs it, its circuit stays within 120,000 constraints (count pinned), and the
 * compiled circuit's witness equals the integer reference on test digits while a witness claiming
 * another class, or with a tampered activation, violates the constraints. Full proving is in
 * bench/mnist-cnn.ts.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { onnx } from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { readEzklInput } from '../../models/ezkl-json';
import { loadMnistSplit } from '../../models/mnist-mlp/dataset';
import { packageRoot } from '../../src/package-root';
import { artifactPath } from '../../src/formats/artifacts';
import { CompileResult, compileModel } from '../../src/compiler/compile';
import { readCompiled } from '../../src/formats/compiled-model';
import { verifyWitness, computeWitness, loadR1cs, R1cs } from '../../src/compiler/r1cs-check';
import { loadOnnx } from '../../src/onnx/load';
import { circuitInput, quantizeSample } from '../../src/quantize/codec';
import { BN254_R, toField } from '../../src/formats/field';
import type { QuantizedModel } from '../../src/formats/quantized-model';
import { runReference } from '../../src/quantize/reference';
import { incrementalChecker } from '../../src/audit/audit';
import { makeTempDir } from '../helpers/onnx-builders';

const DIR = path.join(packageRoot(), 'models', 'mnist-cnn');
const ONNX = path.join(DIR, 'model.onnx');
const CALIBRATION = path.join(DIR, 'calibration.json');
/** Pinned: a change here is a change of the circuit, to be explained. */
// 94,352 before materialised sums; +980: one per rescale reading more than 16 terms (conv2, fc) and 2 for One().
const CONSTRAINTS = 95_332;

const sampleOf = (pixels: number[]) => new Map([['input', Float64Array.from(pixels)]]);

describe('mnist-cnn', () => {
  test('model.onnx is the reference shape and onnxruntime classifies input.json', async () => {
    const bytes = fs.readFileSync(ONNX);
    const file = onnx.ModelProto.decode(bytes);
    assert.deepEqual(
      file.graph!.node!.map((n) => n.opType),
      ['Conv', 'BatchNormalization', 'Relu', 'AveragePool', 'Conv', 'BatchNormalization', 'Relu', 'AveragePool', 'Flatten', 'Gemm', 'ArgMax'],
    );
    // Ingest folds each BatchNormalization into the Conv before it.
    const graph = loadOnnx(bytes);
    assert.deepEqual(
      graph.nodes.map((n) => n.opType),
      ['Conv', 'Relu', 'AveragePool', 'Conv', 'Relu', 'AveragePool', 'Flatten', 'Gemm', 'ArgMax'],
    );
    const weights = ['conv1.weight', 'conv2.weight', 'fc.weight'].map((n) => file.graph!.initializer!.find((t) => t.name === n)!.dims!.map(Number));
    assert.deepEqual(weights, [
      [4, 1, 3, 3],
      [8, 4, 3, 3],
      [10, 200],
    ]);
    assert.deepEqual(graph.inputs[0].shape, [1, 1, 28, 28]);
    assert.deepEqual(
      graph.outputs.map((o) => [o.name, o.elemType, o.shape]),
      [['class', 'int64', [1]]],
    );

    const input = readEzklInput(path.join(DIR, 'input.json')).input_data[0];
    assert.deepEqual(input, loadMnistSplit().test[0].pixels);
    const session = await ort.InferenceSession.create(ONNX);
    try {
      const out = await session.run({ input: new ort.Tensor('float32', Float32Array.from(input), [1, 1, 28, 28]) });
      assert.equal(Number((out.class.data as BigInt64Array)[0]), loadMnistSplit().test[0].label);
    } finally {
      await session.release();
    }
  });

  describe('circuit', () => {
    let build: string;
    let result: CompileResult;
    let model: QuantizedModel;
    let r1cs: R1cs;
    before(async () => {
      build = makeTempDir('mnist-cnn');
      result = await compileModel(ONNX, build, { calibration: CALIBRATION });
      model = readCompiled(build).model;
      r1cs = loadR1cs(artifactPath(build, 'r1cs'));
    });
    after(() => fs.rmSync(build, { recursive: true, force: true }));

    test(`compiles to ${CONSTRAINTS.toLocaleString('en-US')} constraints (≤ 120,000), as the report predicts`, () => {
      assert.equal(result.constraints, CONSTRAINTS);
      assert.ok(result.constraints <= 120_000);
      // Predicted from the quantized model before circom ran.
      assert.equal(result.report.predictedConstraints, result.constraints);
      // Big layers are split across templates (each a wasm function V8 accepts).
      const source = fs.readFileSync(artifactPath(build, 'circuitSource'), 'utf8');
      assert.ok((source.match(/^template Layer0_\d+\(\)/gm) ?? []).length >= 2, 'conv1 is split into several templates');
    });

    test('the witness class equals the integer reference (and the label) on two test digits; other classes and tampered activations are rejected', async () => {
      const digits = loadMnistSplit().test.slice(0, 2);
      const out = model.outputs[0];
      for (const d of digits) {
        const q = quantizeSample(model, sampleOf(d.pixels));
        const reference = runReference(model, q);
        const witness = await computeWitness(circuitInput(model, q), artifactPath(build, 'wasm'));
        assert.equal(witness[1].toString(), toField(reference[out.tensor][0]));
        assert.equal(Number(reference[out.tensor][0]), d.label);
        assert.deepEqual(verifyWitness(r1cs, witness), { ok: true });
        // Each forgery is judged on the constraints reading its wire (the others hold as for the witness).
        const accepts = incrementalChecker(r1cs, witness);

        // Claiming any other class: the output wire alone, and shifted by multiples of the field.
        for (let k = 0; k < 10; k++) {
          if (k === d.label) continue;
          assert.equal(accepts({ label: `class ${k}`, edits: [[1, BigInt(k)]] }), false, `class ${k} accepted for a ${d.label}`);
        }
        // Any intermediate wire changed (a sample across the circuit: every 997th wire).
        const first = 1 + r1cs.nOutputs + r1cs.nPubInputs + r1cs.nPrvInputs;
        for (let wire = first; wire < witness.length; wire += 997) {
          assert.equal(accepts({ label: `wire ${wire} + 1`, edits: [[wire, (witness[wire] + 1n) % BN254_R]] }), false, `wire ${wire} + 1 accepted`);
        }
      }
    });
  });
});
