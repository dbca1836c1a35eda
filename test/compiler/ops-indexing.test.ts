/**
 * Indices computed at run time (docs/logic.md): Gather by a bit (free) and by an ArgMax over a
 * constant table, GatherElements of a run-time tensor by a run-time int64 index (range-checked,
 * negative indices wrapped), ScatterElements, OneHot, and Cast of integer-valued tensors. The integer model equals
 * onnxruntime exactly on exactly represented inputs; the witness equals the integer reference, the
 * constraint count is pinned and predicted, a changed output is rejected, and an index outside
 * [−n, n) has no witness. A truncating Cast is refused at ingest, naming the node.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { artifactPath } from '../../src/formats/artifacts';
import { CompileResult, compileModel } from '../../src/compiler/compile';
import { readCompiled } from '../../src/formats/compiled-model';
import { computeWitness } from '../../src/compiler/r1cs-check';
import { loadOnnx } from '../../src/onnx/load';
import { NodeSpec, writeOnnx } from '../../src/onnx/writer';
import { circuitInput, quantizeSample } from '../../src/quantize/codec';
import type { InputSample } from '../../src/formats/input-document';
import { quantizeGraph } from '../../src/quantize/quantize';
import { runReference } from '../../src/quantize/reference';
import { parseSettings } from '../../src/formats/settings';
import { expectCode, makeTempDir, runOrtFloat, seededRng } from '../helpers/onnx-builders';
import { checkWitnesses } from '../helpers/compiled-circuit-check';

const node = (opType: string, inputs: string[], output: string, attributes: NodeSpec['attributes'] = {}): NodeSpec => ({ opType, name: output, inputs, outputs: [output], attributes });

function indexingModel(): Uint8Array {
  return writeOnnx({
    name: 'indexing',
    inputs: [
      { name: 'x', elemType: 'float32', shape: [1, 4] },
      { name: 'ix', elemType: 'int64', shape: [1, 3] },
    ],
    outputs: [
      { name: 'lab', elemType: 'float32', shape: [1, 4] },
      { name: 'row', elemType: 'float32', shape: [2] },
      { name: 'picked', elemType: 'float32', shape: [1, 3] },
      { name: 'hot', elemType: 'float32', shape: [1, 3, 4] },
      { name: 'scat', elemType: 'float32', shape: [1, 4] },
    ],
    initializers: [
      { name: 'zero', dims: [], data: Float32Array.of(0) },
      { name: 'T', dims: [2], data: Float32Array.of(0.5, -1.25) },
      { name: 'V', dims: [4, 2], data: Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8) },
      { name: 'depth', dims: [1], data: [4], elemType: 'int64' },
      { name: 'shape2', dims: [1], data: [2], elemType: 'int64' },
      { name: 'vals', dims: [2], data: Float32Array.of(-1, 3) },
    ],
    nodes: [
      node('Greater', ['x', 'zero'], 'pos'),
      node('Cast', ['pos'], 'posi', { to: 7 }), // a bool to int64: exact
      node('Gather', ['T', 'posi'], 'lab'), // a constant table by a bit: linear
      node('ArgMax', ['x'], 'am', { axis: 1, keepdims: 0 }),
      node('Cast', ['am'], 'am32', { to: 6 }),
      node('Gather', ['V', 'am32'], 'row2'), // a constant table by an index in [0, 4)
      node('Reshape', ['row2', 'shape2'], 'row'),
      node('GatherElements', ['x', 'ix'], 'picked', { axis: 1 }), // a run-time table by a run-time index
      node('OneHot', ['ix', 'depth', 'vals'], 'hot'),
      node('Neg', ['picked'], 'negp'),
      node('ScatterElements', ['x', 'ix', 'negp'], 'scat', { axis: 1 }), // repeated indices: the last update wins, as in onnxruntime
    ],
  });
}

/** Inputs on the 1/16 grid (exact at the input scale), indices in [−4, 4). */
function sample(rng: ReturnType<typeof seededRng>): InputSample {
  return new Map([
    ['x', Float64Array.from({ length: 4 }, () => (Math.floor(rng.next() * 31) - 15) / 16)],
    ['ix', Float64Array.from({ length: 3 }, () => Math.floor(rng.next() * 8) - 4)],
  ]);
}

describe('indices computed at run time', () => {
  const bytes = indexingModel();
  const settings = { inputRange: [-1, 1] as [number, number] };

  test('the integer model equals onnxruntime exactly on exactly represented inputs, negative indices included', async () => {
    const graph = loadOnnx(bytes);
    const rng = seededRng(3);
    const samples = Array.from({ length: 25 }, () => sample(rng));
    const model = quantizeGraph(graph, parseSettings(settings), samples);
    const ort = await runOrtFloat(bytes, graph.inputs, samples);
    samples.forEach((s, k) => {
      const ints = runReference(model, quantizeSample(model, s));
      for (const o of model.outputs) {
        assert.deepEqual(
          ints[o.tensor].map((v) => Number(v) / 2 ** o.scaleBits),
          Array.from(ort[k].get(o.name)!, (v) => v + 0), // -0 (a Neg of 0) is 0
          `${o.name}, sample ${k}`,
        );
      }
    });
  });

  describe('circuit', () => {
    let dir: string;
    let result: CompileResult;
    before(async () => {
      dir = makeTempDir('indexing');
      fs.writeFileSync(`${dir}/model.onnx`, bytes);
      result = await compileModel(`${dir}/model.onnx`, `${dir}/build`, { settings });
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    test('the witness equals the integer reference; the count is pinned and predicted; a changed output is rejected', async () => {
      const build = `${dir}/build`;
      const model = readCompiled(build).model;
      assert.equal(result.report.predictedConstraints, result.constraints);
      // Pinned: x 4 × 8 bits and ix 3 × 8 bits (56); Greater 4 · NonNegative(8) (36), Cast and the Gather by a bit 0;
      // ArgMax over 4 (the remaining 40) and its Gather by 4 EqualsZero bits (8); GatherElements: the range check and wrap
      // Segment(2, 2) per index, its slopes equal so its output is linear (3 · 6) + 3 · 4 EqualsZero bits (24) + 3 · 4 products (12); OneHot 3 · 8 EqualsZero
      // bits for [i = k] and [i = k − 4] (48), its outputs linear; ScatterElements: its own range checks (3 · 6) and bits
      // (3 · 4 · 2) and one product per position and update of its line (3 · 4).
      assert.equal(result.constraints, 296);
      const rng = seededRng(4);
      await checkWitnesses(
        model,
        build,
        Array.from({ length: 5 }, () => sample(rng)),
      );
    });

    test('an index outside [−n, n) has no witness (and the integer reference refuses it by code)', async () => {
      const build = `${dir}/build`;
      const model = readCompiled(build).model;
      for (const bad of [4, -5, 100]) {
        const s = new Map([
          ['x', Float64Array.of(0.25, -0.5, 0.75, 0)],
          ['ix', Float64Array.of(0, bad, 1)],
        ]);
        const q = quantizeSample(model, s);
        expectCode(() => runReference(model, q), 'INPUT_OUT_OF_RANGE');
        await assert.rejects(computeWitness(circuitInput(model, q), artifactPath(build, 'wasm')), `index ${bad}`);
      }
    });
  });

  test('a Cast of integers to a type that cannot hold their whole range is refused (no wrap-around), naming the node', () => {
    const wraps = writeOnnx({
      name: 'wrapping-cast',
      inputs: [{ name: 'i', elemType: 'int64', shape: [1, 2] }],
      outputs: [{ name: 'y', elemType: 'float32', shape: [1, 2] }],
      nodes: [node('Cast', ['i'], 'u8', { to: 2 }), node('Cast', ['u8'], 'y', { to: 1 })],
    });
    const err = expectCode(() => quantizeGraph(loadOnnx(wraps), parseSettings({ inputRange: [-1, 1] })), 'ONNX_UNSUPPORTED_ATTRIBUTE');
    assert.match(err.message, /'u8' \(Cast\).*\[-128, 127\] do not fit uint8/);
  });

  test('a Cast to an integer type of a tensor that may hold fractions is refused at ingest, naming the node', () => {
    const bad = writeOnnx({
      name: 'bad-cast',
      inputs: [{ name: 'x', elemType: 'float32', shape: [1, 4] }],
      outputs: [{ name: 'y', elemType: 'int64', shape: [1, 4] }],
      nodes: [node('Cast', ['x'], 'y', { to: 7 })],
    });
    const err = expectCode(() => loadOnnx(bad), 'ONNX_UNSUPPORTED_ATTRIBUTE');
    assert.match(err.message, /'y' \(Cast\).*fractions/);
  });
});
