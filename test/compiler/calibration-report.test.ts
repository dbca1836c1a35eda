/**
 * Calibration (issue 3, scope 3): many-sample calibration files, --target accuracy|resources, and the
 * compile report's per-layer error against onnxruntime's float run of each layer's output.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { artifactPath } from '../../src/formats/artifacts';
import { compileModel } from '../../src/compiler/compile';
import { onnx } from 'onnx-proto';
import { calibrationAccuracy, FloatOutputs, pickOutputs } from '../../src/compiler/layer-errors';
import { buildReport } from '../../src/compiler/report';
import type { Graph } from '../../src/formats/graph';
import { loadOnnx } from '../../src/onnx/load';
import * as ortRuntime from '../../src/onnx/runtime';
import { createOrtSession, runOrt } from '../../src/onnx/runtime';
import { writeOnnx } from '../../src/onnx/writer';
import { quantizeSample } from '../../src/quantize/codec';
import type { InputSample } from '../../src/formats/input-document';
import { quantizeGraph } from '../../src/quantize/quantize';
import * as referenceModule from '../../src/quantize/reference';
import { runReference } from '../../src/quantize/reference';
import * as floatExecutor from '../../src/quantize/float-executor';
import { runFloat } from '../../src/quantize/float-executor';
import { parseSettings } from '../../src/formats/settings';
import { expectCode, makeTempDir, seededRng } from '../helpers/onnx-builders';

const rng = seededRng(21);
const W1 = Float32Array.from({ length: 6 * 4 }, () => rng.uniform(-1, 1));
const W2 = Float32Array.from({ length: 3 * 6 }, () => rng.uniform(-1, 1));

/** x[1,4] → Gemm → Relu → Gemm → Sigmoid. */
const BYTES = writeOnnx({
  name: 'calib',
  opset: 13,
  inputs: [{ name: 'x', elemType: 'float32', shape: [1, 4] }],
  outputs: [{ name: 'y', elemType: 'float32', shape: [1, 3] }],
  initializers: [
    { name: 'W1', dims: [6, 4], data: W1 },
    { name: 'W2', dims: [3, 6], data: W2 },
  ],
  nodes: [
    { opType: 'Gemm', name: 'fc1', inputs: ['x', 'W1'], outputs: ['h'], attributes: { transB: 1 } },
    { opType: 'Relu', name: 'relu', inputs: ['h'], outputs: ['r'] },
    { opType: 'Gemm', name: 'fc2', inputs: ['r', 'W2'], outputs: ['z'], attributes: { transB: 1 } },
    { opType: 'Sigmoid', name: 'sig', inputs: ['z'], outputs: ['y'] },
  ],
});

function samples(graph: Graph, n: number): InputSample[] {
  const r = seededRng(5);
  return Array.from({ length: n }, () => new Map([[graph.inputs[0].name, Float64Array.from({ length: 4 }, () => Math.fround(r.uniform(-2, 2)))]]));
}

describe('per-layer error against onnxruntime over the calibration set', () => {
  test('every ONNX tensor a layer produces gets max/mean error; they match a direct comparison', async () => {
    const graph = loadOnnx(BYTES);
    const cal = samples(graph, 64);
    const model = quantizeGraph(graph, parseSettings({}), cal);
    const errors = (await calibrationAccuracy(BYTES, graph, model, cal)).layers;
    const names = [...errors.keys()].map((id) => model.tensors[id].name);
    // h is fused with its Relu (the layer's output is r); z feeds the Sigmoid's PWL.
    assert.ok(names.includes('r') && names.includes('z') && names.includes('y'), `layers with errors: ${names}`);
    for (const e of errors.values()) {
      assert.equal(e.samples, 64);
      assert.ok(e.meanAbsError <= e.maxAbsError && e.maxAbsError > 0);
    }
    // Independently: the output layer's max error, straight from onnxruntime's graph output.
    const session = await createOrtSession(BYTES);
    let worst = 0;
    for (const s of cal) {
      const want = (await runOrt(session, graph.inputs, s))[0].values;
      const out = model.outputs[0];
      runReference(model, quantizeSample(model, s))[out.tensor].forEach((v, i) => (worst = Math.max(worst, Math.abs(Number(v) / 2 ** out.scaleBits - want[i]))));
    }
    await session.release();
    assert.equal(errors.get(model.outputs[0].tensor)!.maxAbsError, worst);
    assert.ok(worst <= model.outputs[0].errorBound + 1e-6, 'within the static bound');
  });

  test("the per-output error against the float executor: the same from the scale-picking run's kept outputs as from a direct comparison", async () => {
    const graph = loadOnnx(BYTES);
    const cal = samples(graph, 32);
    const kept: FloatOutputs[] = [];
    const model = quantizeGraph(graph, parseSettings({}), cal, (values, s) => (kept[s] = pickOutputs(graph, values)));
    assert.equal(kept.length, 32);
    const out = model.outputs[0];
    let worst = 0;
    for (const s of cal) {
      const want = runFloat(graph, s).get('y')!.data;
      runReference(model, quantizeSample(model, s))[out.tensor].forEach((v, i) => (worst = Math.max(worst, Math.abs(Number(v) / 2 ** out.scaleBits - want[i]))));
    }
    assert.ok(worst > 0);
    const withKept = await calibrationAccuracy(BYTES, graph, model, cal, kept);
    const recomputed = await calibrationAccuracy(BYTES, graph, model, cal);
    assert.deepEqual(withKept.outputs, [worst]);
    assert.deepEqual(recomputed.outputs, [worst]);
    assert.deepEqual(withKept.layers, recomputed.layers);
  });

  test('--target: accuracy lowers the error and costs constraints; resources the reverse', async (t) => {
    const graph = loadOnnx(BYTES);
    const cal = samples(graph, 32);
    const run = async (target: string) => {
      const model = quantizeGraph(graph, parseSettings({ target }), cal);
      const errors = (await calibrationAccuracy(BYTES, graph, model, cal)).layers;
      return { constraints: buildReport(model).predictedConstraints, error: errors.get(model.outputs[0].tensor)!.maxAbsError, bound: model.outputs[0].errorBound };
    };
    const [acc, bal, res] = [await run('accuracy'), await run('balanced'), await run('resources')];
    for (const [k, r] of Object.entries({ accuracy: acc, balanced: bal, resources: res }))
      t.diagnostic(`${k}: ${r.constraints} constraints, max error ${r.error.toPrecision(3)}, bound ${r.bound.toPrecision(3)}`);
    assert.ok(acc.constraints > bal.constraints && bal.constraints > res.constraints, `constraints ${acc.constraints} > ${bal.constraints} > ${res.constraints}`);
    assert.ok(acc.bound < bal.bound && bal.bound < res.bound, `static bounds ${acc.bound} < ${bal.bound} < ${res.bound}`);
    assert.ok(acc.error <= bal.error && bal.error < res.error, `measured errors ${acc.error} <= ${bal.error} < ${res.error}`);
    expectCode(() => parseSettings({ target: 'speed' }), 'SETTINGS_INVALID');
  });

  test('compile with a many-sample calibration file writes the per-layer errors into report.json and report.txt; it decodes the ONNX once and runs each sample once through the integer reference', async (t) => {
    const dir = makeTempDir('calreport');
    try {
      const onnxPath = path.join(dir, 'model.onnx');
      fs.writeFileSync(onnxPath, BYTES);
      const graph = loadOnnx(BYTES);
      const calFile = path.join(dir, 'calibration.json');
      fs.writeFileSync(calFile, JSON.stringify({ input_data: samples(graph, 200).map((s) => Array.from(s.get('x')!)) }));
      const decode = t.mock.method(onnx.ModelProto, 'decode');
      const reference = t.mock.method(referenceModule, 'runReference');
      // Outside the calibration run that picks the scales (which calls it directly, unseen here).
      const float = t.mock.method(floatExecutor, 'runFloat');
      const sessions = t.mock.method(ortRuntime, 'createOrtSession');
      const result = await compileModel(onnxPath, path.join(dir, 'build'), { calibration: calFile, settings: { target: 'accuracy' } });
      const report = JSON.parse(fs.readFileSync(artifactPath(result.buildDir, 'report'), 'utf8'));
      const withErr = report.layers.filter((l: { calibration?: { samples: number } }) => l.calibration);
      assert.ok(withErr.length >= 3);
      for (const l of withErr) assert.equal(l.calibration.samples, 200);
      const text = fs.readFileSync(artifactPath(result.buildDir, 'reportText'), 'utf8');
      assert.match(text, /max err\s+mean err/);
      assert.equal(result.constraints, result.report.predictedConstraints);
      assert.equal(decode.mock.callCount(), 1, 'ingest decodes the protobuf; the per-layer model reuses its bytes');
      assert.equal(reference.mock.callCount(), 200, 'one integer reference run per sample for both yardsticks');
      assert.equal(float.mock.callCount(), 0, 'the float outputs are kept from the scale-picking run');
      // One to refuse what onnxruntime refuses before quantizing, one for the model with the layers exposed.
      assert.equal(sessions.mock.callCount(), 2);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
