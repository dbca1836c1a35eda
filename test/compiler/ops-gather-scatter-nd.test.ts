/**
 * GatherND (batch_dims 0 and 1, negative indices) and ScatterND (reduction none) with constant
 * indices (docs/spatial.md): fixed wiring. Float semantics and the integer model equal onnxruntime
 * exactly; the circuit has no constraint beyond the inputs' range checks and the outputs' links, its
 * witness equals the reference and an output moved by one is rejected. A reduction max or min is
 * refused at ingest, naming the node and the attribute (run-time indices, add and mul:
 * ops-nd-runtime.test.ts).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { CompileResult, compileModel } from '../../src/compiler/compile';
import { readCompiled } from '../../src/formats/compiled-model';
import { loadOnnx } from '../../src/onnx/load';
import { createOrtSession, runOrt } from '../../src/onnx/runtime';
import { InitializerSpec, NodeSpec, writeOnnx } from '../../src/onnx/writer';
import { quantizeSample } from '../../src/quantize/codec';
import { runFloat } from '../../src/quantize/float-executor';
import type { InputSample } from '../../src/formats/input-document';
import { quantizeGraph } from '../../src/quantize/quantize';
import { runReference } from '../../src/quantize/reference';
import { parseSettings } from '../../src/formats/settings';
import { expectCode, makeTempDir, seededRng } from '../helpers/onnx-builders';
import { checkWitnesses } from '../helpers/compiled-circuit-check';

const int64 = (name: string, dims: number[], data: number[]): InitializerSpec => ({ name, dims, data, elemType: 'int64' });
const node = (opType: string, inputs: string[], output: string, attributes: NodeSpec['attributes'] = {}): NodeSpec => ({ opType, name: output, inputs, outputs: [output], attributes });

function model(): Uint8Array {
  return writeOnnx({
    name: 'gather-scatter-nd',
    inputs: [
      { name: 'x', elemType: 'float32', shape: [2, 3, 4] },
      { name: 'u', elemType: 'float32', shape: [2, 4] },
    ],
    outputs: [
      { name: 'g', elemType: 'float32', shape: [3, 4] },
      { name: 'gb', elemType: 'float32', shape: [2, 4] },
      { name: 's', elemType: 'float32', shape: [2, 3, 4] },
    ],
    initializers: [int64('I', [3, 2], [0, 1, 1, 2, -1, 0]), int64('B', [2, 1], [2, -3]), int64('S', [2, 2], [0, 1, 1, -1])],
    nodes: [node('GatherND', ['x', 'I'], 'g'), node('GatherND', ['x', 'B'], 'gb', { batch_dims: 1 }), node('ScatterND', ['x', 'S', 'u'], 's')],
  });
}

function gridSample(rng: ReturnType<typeof seededRng>): InputSample {
  const grid = (n: number) => Float64Array.from({ length: n }, () => (Math.floor(rng.next() * 17) - 8) / 8);
  return new Map([
    ['x', grid(24)],
    ['u', grid(8)],
  ]);
}

describe('GatherND and ScatterND with constant indices', () => {
  const bytes = model();
  const settings = { inputRange: [-1, 1] as [number, number] };

  test('float semantics and the integer model equal onnxruntime exactly', async () => {
    const graph = loadOnnx(bytes);
    const rng = seededRng(12);
    const samples = Array.from({ length: 10 }, () => gridSample(rng));
    const q = quantizeGraph(graph, parseSettings(settings), samples);
    const session = await createOrtSession(bytes);
    try {
      for (const [k, s] of samples.entries()) {
        const ort = await runOrt(session, graph.inputs, s);
        const float = runFloat(graph, s);
        const ints = runReference(q, quantizeSample(q, s));
        for (const [j, o] of q.outputs.entries()) {
          assert.deepEqual(ort[j].shape, graph.outputs[j].shape);
          assert.deepEqual(Array.from(float.get(o.name)!.data), ort[j].values, `float ${o.name}, sample ${k}`);
          assert.deepEqual(
            ints[o.tensor].map((v) => Number(v) / 2 ** o.scaleBits),
            ort[j].values,
            `integer ${o.name}, sample ${k}`,
          );
        }
      }
    } finally {
      await session.release();
    }
  });

  describe('circuit', () => {
    let dir: string;
    let result: CompileResult;
    before(async () => {
      dir = makeTempDir('gather-scatter-nd');
      fs.writeFileSync(`${dir}/model.onnx`, bytes);
      result = await compileModel(`${dir}/model.onnx`, `${dir}/build`, { settings });
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    test('pure wiring: the witness equals the reference, the count is pinned, an output moved by one is rejected', async () => {
      const build = `${dir}/build`;
      const compiled = readCompiled(build).model;
      assert.equal(result.report.predictedConstraints, result.constraints);
      // Pinned: 32 input elements × 8-bit range checks (256) and 12 output links (the other outputs are
      // the input wires themselves): no constraint for the selection.
      assert.equal(result.constraints, EXPECTED_CONSTRAINTS);
      const rng = seededRng(13);
      await checkWitnesses(
        compiled,
        build,
        Array.from({ length: 3 }, () => gridSample(rng)),
      );
    });
  });

  const single = (n: NodeSpec, inits: InitializerSpec[], extra: Array<{ name: string; shape: number[] }> = []) =>
    writeOnnx({
      name: 'bad-nd',
      inputs: [{ name: 'x', elemType: 'float32', shape: [2, 3] }, ...extra.map((e) => ({ name: e.name, elemType: 'int64' as const, shape: e.shape }))],
      outputs: [{ name: 'y', elemType: 'float32', shape: [2, 3] }],
      initializers: inits,
      nodes: [n],
    });

  test('a reduction max or min is refused at ingest, naming the node and the attribute; a constant index out of range too', () => {
    // Run-time indices and the reductions add and mul: test/compiler/ops-nd-runtime.test.ts.
    let err = expectCode(
      () => loadOnnx(single(node('ScatterND', ['x', 'I', 'U'], 'y', { reduction: 'min' }), [int64('I', [1, 1], [0]), { name: 'U', dims: [1, 3], data: [1, 2, 3] }])),
      'ONNX_UNSUPPORTED_ATTRIBUTE',
    );
    assert.match(err.message, /'y' \(ScatterND\).*reduction/);
    assert.equal(err.details?.attribute, 'reduction');
    err = expectCode(() => loadOnnx(single(node('GatherND', ['x', 'I'], 'y'), [int64('I', [1, 2], [0, 3])])), 'SHAPE_MISMATCH');
    assert.match(err.message, /index 3 is out of range/);
  });
});

const EXPECTED_CONSTRAINTS = 268;
