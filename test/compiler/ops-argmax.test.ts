/**
 * ArgMax (axis, keepdims, select_last_index): float semantics equal onnxruntime's, ties included; the
 * integer model picks the same index as onnxruntime whenever quantization is exact; a compiled
 * Gemm → ArgMax circuit outputs the integer reference's index, costs the pinned count and rejects a
 * witness claiming another index; unsupported attributes and bad axes are refused at ingest.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { artifactPath } from '../../src/formats/artifacts';
import { CompileResult, compileModel } from '../../src/compiler/compile';
import { readCompiled } from '../../src/formats/compiled-model';
import { verifyWitness, computeWitness, loadR1cs } from '../../src/compiler/r1cs-check';
import { sizeOf } from '../../src/formats/graph';
import { loadOnnx } from '../../src/onnx/load';
import { NodeSpec, writeOnnx } from '../../src/onnx/writer';
import { circuitInput, quantizeSample } from '../../src/quantize/codec';
import { toField } from '../../src/formats/field';
import { runFloat } from '../../src/quantize/float-executor';
import type { InputSample } from '../../src/formats/input-document';
import { quantizeGraph } from '../../src/quantize/quantize';
import { runReference } from '../../src/quantize/reference';
import { parseSettings } from '../../src/formats/settings';
import { expectCode, makeTempDir, Rng, seededRng } from '../helpers/onnx-builders';

interface Case {
  shape: number[];
  attributes: NodeSpec['attributes'];
  outShape: number[];
}

function argMaxModel(c: Case): Uint8Array {
  return writeOnnx({
    name: 'argmax',
    inputs: [{ name: 'x', elemType: 'float32', shape: c.shape }],
    outputs: [{ name: 'y', elemType: 'int64', shape: c.outShape }],
    nodes: [{ opType: 'ArgMax', name: 'argmax', inputs: ['x'], outputs: ['y'], attributes: c.attributes }],
  });
}

/** Values on a grid of 1/8 in [-1, 1): exact in float32 and at the input scale (2^-6), and ties are frequent. */
function gridSample(rng: Rng, n: number, steps = 16): InputSample {
  return new Map([['x', Float64Array.from({ length: n }, () => (Math.floor(rng.next() * steps) - steps / 2) / 8)]]);
}

async function ortIndices(bytes: Uint8Array, shape: number[], samples: InputSample[]): Promise<number[][]> {
  const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  try {
    const out: number[][] = [];
    for (const s of samples) {
      const r = await session.run({ x: new ort.Tensor('float32', Float32Array.from(s.get('x')!), shape) });
      assert.equal(r.y.type, 'int64');
      out.push(Array.from(r.y.data as BigInt64Array, Number));
    }
    return out;
  } finally {
    await session.release();
  }
}

const CASES: Case[] = [
  { shape: [1, 10], attributes: { axis: 1, keepdims: 0 }, outShape: [1] },
  { shape: [1, 10], attributes: { axis: 1, keepdims: 0, select_last_index: 1 }, outShape: [1] },
  { shape: [3, 4], attributes: {}, outShape: [1, 4] }, // axis 0, keepdims 1 by default
  { shape: [2, 3, 4], attributes: { axis: -1 }, outShape: [2, 3, 1] },
  { shape: [2, 3, 4], attributes: { axis: 1, keepdims: 0, select_last_index: 1 }, outShape: [2, 4] },
  { shape: [1, 1], attributes: { axis: 1, keepdims: 0 }, outShape: [1] }, // one candidate: always 0
];

describe('ArgMax', () => {
  for (const c of CASES) {
    test(`shape [${c.shape}] ${JSON.stringify(c.attributes)}: float and integer model give onnxruntime's indices, ties included`, async () => {
      const bytes = argMaxModel(c);
      const graph = loadOnnx(bytes);
      assert.deepEqual(graph.shapes.get('y'), c.outShape);
      const rng = seededRng(sizeOf(c.shape) * 7 + JSON.stringify(c.attributes).length);
      const samples = Array.from({ length: 40 }, (_, i) => gridSample(rng, sizeOf(c.shape), i < 20 ? 4 : 16));
      const want = await ortIndices(bytes, c.shape, samples);
      const model = quantizeGraph(graph, parseSettings({ inputRange: [-1, 1] }));
      let ties = 0;
      samples.forEach((s, k) => {
        assert.deepEqual(Array.from(runFloat(graph, s).get('y')!.data), want[k], `float, sample ${k}`);
        const ints = runReference(model, quantizeSample(model, s))[model.outputs[0].tensor];
        assert.deepEqual(ints.map(Number), want[k], `integer model, sample ${k}`);
        const x = s.get('x')!;
        if (new Set(x).size < x.length) ties++;
      });
      if (sizeOf(c.shape) > 2) assert.ok(ties > 10, 'ties are exercised');
      // The static bound on an index is the axis length − 1.
      const axisLength = sizeOf(c.shape) / sizeOf(c.outShape);
      assert.equal(model.outputs[0].errorBound, axisLength - 1);
    });
  }

  test('refuses unsupported attributes and axes outside the rank at ingest, naming the node', () => {
    const bad = (attributes: NodeSpec['attributes']) => argMaxModel({ shape: [1, 4], attributes, outShape: [1] });
    let e = expectCode(() => loadOnnx(bad({ axis: 2 })), 'SHAPE_MISMATCH');
    assert.match(e.message, /argmax/);
    expectCode(() => loadOnnx(bad({ axis: -3 })), 'SHAPE_MISMATCH');
    e = expectCode(() => loadOnnx(bad({ axis: 1, keepdims: 2 })), 'ONNX_UNSUPPORTED_ATTRIBUTE');
    assert.match(e.message, /keepdims/);
    expectCode(() => loadOnnx(bad({ axis: 1, select_last_index: 3 })), 'ONNX_UNSUPPORTED_ATTRIBUTE');
    e = expectCode(() => loadOnnx(bad({ axis: 1, bogus: 1 })), 'ONNX_UNSUPPORTED_ATTRIBUTE');
    assert.match(e.message, /bogus/);
  });

  describe('Gemm → ArgMax circuit', () => {
    // 6 inputs → 5 logits → index of the largest.
    const rng = seededRng(31);
    const weights = Float32Array.from({ length: 30 }, () => Math.fround(rng.uniform(-1, 1)));
    const bytes = writeOnnx({
      name: 'gemm-argmax',
      inputs: [{ name: 'x', elemType: 'float32', shape: [1, 6] }],
      outputs: [{ name: 'y', elemType: 'int64', shape: [1] }],
      initializers: [{ name: 'w', dims: [5, 6], data: weights }],
      nodes: [
        { opType: 'Gemm', name: 'fc', inputs: ['x', 'w'], outputs: ['logits'], attributes: { transB: 1 } },
        { opType: 'ArgMax', name: 'argmax', inputs: ['logits'], outputs: ['y'], attributes: { axis: 1, keepdims: 0 } },
      ],
    });
    let dir: string;
    let result: CompileResult;
    before(async () => {
      dir = makeTempDir('argmax');
      fs.writeFileSync(`${dir}/model.onnx`, bytes);
      result = await compileModel(`${dir}/model.onnx`, `${dir}/build`, { settings: { inputRange: [-1, 1] } });
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    test('outputs the integer reference index; the count is pinned and predicted; any other index is rejected', async () => {
      const build = `${dir}/build`;
      const model = readCompiled(build).model;
      const argmaxLayer = model.layers.find((l) => l.argmax)!;
      const g = argmaxLayer.gadgets![0];
      assert.equal(g.kind, 'argmax');
      // Pinned: 48 (6 inputs × 8 bits) + 5 logits × Requantize(10, 11) (105) + ArgMax(5, 11) = 5 · 13 = 65.
      assert.equal(result.constraints, 218);
      assert.equal(result.report.predictedConstraints, result.constraints);
      assert.match(fs.readFileSync(artifactPath(build, 'circuitSource'), 'utf8'), /ArgMax\(5, \d+, 0\)/);

      const r1cs = loadR1cs(artifactPath(build, 'r1cs'));
      const seen = new Set<number>();
      for (let s = 0; s < 12; s++) {
        const sample: InputSample = new Map([['x', Float64Array.from({ length: 6 }, () => Math.fround(rng.uniform(-1, 1)))]]);
        const q = quantizeSample(model, sample);
        const want = runReference(model, q)[model.outputs[0].tensor][0];
        seen.add(Number(want));
        const witness = await computeWitness(circuitInput(model, q), artifactPath(build, 'wasm'));
        assert.equal(witness[1].toString(), toField(want));
        assert.deepEqual(verifyWitness(r1cs, witness), { ok: true });
        for (let k = 0n; k < 5n; k++) {
          if (k === want) continue;
          const forged = [...witness];
          forged[1] = k;
          assert.equal(verifyWitness(r1cs, forged).ok, false, `index ${k} accepted instead of ${want}`);
        }
      }
      assert.ok(seen.size >= 3, `several indices won (${[...seen]})`);
    });
  });
});
