/**
 * Comparisons and logic on run-time tensors (Less, LessOrEqual, Greater, GreaterOrEqual, Equal, Not,
 * And, Or, Xor, Where, Sign, Floor, Ceil; docs/logic.md): on inputs the quantizer represents exactly (a grid of
 * 1/16, ties frequent), the integer model equals onnxruntime exactly, float constants against
 * quantized inputs included; the compiled circuit's witness equals the integer reference, its
 * constraint count is pinned and predicted, and a flipped output bit is rejected. A non-bool operand
 * where a bool is needed is refused by name.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { artifactPath } from '../../src/formats/artifacts';
import { CompileResult, compileModel } from '../../src/compiler/compile';
import { readCompiled } from '../../src/formats/compiled-model';
import { loadOnnx } from '../../src/onnx/load';
import { NodeSpec, writeOnnx } from '../../src/onnx/writer';
import { quantizeSample } from '../../src/quantize/codec';
import { runFloat } from '../../src/quantize/float-executor';
import type { InputSample } from '../../src/formats/input-document';
import { quantizeGraph } from '../../src/quantize/quantize';
import { runReference } from '../../src/quantize/reference';
import { parseSettings } from '../../src/formats/settings';
import { expectCode, makeTempDir, runOrtFloat, seededRng } from '../helpers/onnx-builders';
import { checkWitnesses } from '../helpers/compiled-circuit-check';

const N = 8;
const n = (opType: string, inputs: string[], output: string): NodeSpec => ({ opType, name: output, inputs, outputs: [output], attributes: {} });
const toFloat = (input: string, output: string): NodeSpec => ({ opType: 'Cast', name: `cast_${output}`, inputs: [input], outputs: [output], attributes: { to: 1 } });

// lt, ge and eq are seen through not, xorc and wc (which are linear in them: as public outputs side by
// side, their linear relation would be a constraint circom cannot remove).
const BOOL_OUTPUTS = ['le', 'gt', 'eqc', 'not', 'and', 'or', 'xor', 'xorc'];
const OUTPUTS = [...BOOL_OUTPUTS, 'w', 'wy', 'wx', 'wc', 'sign', 'floor', 'ceil'];

/** Every op of the family, on two float inputs x and z, each bool output cast to float. */
function logicModel(): Uint8Array {
  const nodes: NodeSpec[] = [
    n('Less', ['x', 'z'], 'b_lt'),
    n('LessOrEqual', ['x', 'C'], 'b_le'), // against a constant off the grid: thresholds rounded the right way
    n('Greater', ['C', 'x'], 'b_gt'), // the constant on the left
    n('GreaterOrEqual', ['x', 'z'], 'b_ge'),
    n('Equal', ['x', 'z'], 'b_eq'),
    n('Equal', ['x', 'H'], 'b_eqc'), // a constant on the grid
    n('Not', ['b_lt'], 'b_not'),
    n('And', ['b_lt', 'b_le'], 'b_and'),
    n('Or', ['b_lt', 'b_gt'], 'b_or'),
    n('Xor', ['b_ge', 'b_le'], 'b_xor'),
    { opType: 'Cast', name: 'mask', inputs: ['M'], outputs: ['Mb'], attributes: { to: 9 } }, // folded
    n('Xor', ['b_ge', 'Mb'], 'b_xorc'), // against a constant mask
    n('Where', ['b_or', 'x', 'z'], 'w'),
    n('Where', ['b_lt', 'x', 'K'], 'wy'),
    n('Where', ['b_gt', 'K', 'z'], 'wx'),
    n('Where', ['b_eq', 'K', 'H'], 'wc'),
    n('Sign', ['x'], 'sign'),
    n('Floor', ['x'], 'floor'),
    n('Ceil', ['z'], 'ceil'),
  ];
  for (const o of BOOL_OUTPUTS) nodes.push(toFloat(`b_${o}`, o));
  return writeOnnx({
    name: 'logic',
    inputs: [
      { name: 'x', elemType: 'float32', shape: [1, N] },
      { name: 'z', elemType: 'float32', shape: [1, N] },
    ],
    outputs: OUTPUTS.map((name) => ({ name, elemType: 'float32', shape: [1, N] })),
    initializers: [
      { name: 'C', dims: [], data: Float32Array.of(0.3) },
      { name: 'H', dims: [1], data: Float32Array.of(0.25) },
      { name: 'K', dims: [N], data: Float32Array.from({ length: N }, (_, i) => i / 4 - 1) },
      { name: 'M', dims: [N], data: Float32Array.from({ length: N }, (_, i) => i % 2) },
    ],
    nodes,
  });
}

function gridSample(rng: ReturnType<typeof seededRng>): InputSample {
  const grid = () => Float64Array.from({ length: N }, () => (Math.floor(rng.next() * 9) - 4) / 16);
  return new Map([
    ['x', grid()],
    ['z', grid()],
  ]);
}

describe('comparisons and logic', () => {
  const bytes = logicModel();
  const settings = { inputRange: [-1, 1] as [number, number] };

  test('float semantics and the integer model equal onnxruntime exactly on exactly represented inputs, ties included', async () => {
    const graph = loadOnnx(bytes);
    const rng = seededRng(5);
    const samples = Array.from({ length: 30 }, () => gridSample(rng));
    const model = quantizeGraph(graph, parseSettings(settings), samples);
    const ort = await runOrtFloat(bytes, graph.inputs, samples);
    let ties = 0;
    samples.forEach((s, k) => {
      const float = runFloat(graph, s);
      const ints = runReference(model, quantizeSample(model, s));
      for (const o of model.outputs) {
        const want = Array.from(ort[k].get(o.name)!, (v) => v + 0); // -0 (a Ceil of a small negative) is 0
        assert.deepEqual(
          Array.from(float.get(o.name)!.data, (v) => v + 0),
          want,
          `float ${o.name}, sample ${k}`,
        );
        assert.deepEqual(
          ints[o.tensor].map((v) => Number(v) / 2 ** o.scaleBits),
          want,
          `integer ${o.name}, sample ${k}`,
        );
      }
      ties += s.get('x')!.filter((v, i) => v === s.get('z')![i]).length;
    });
    assert.ok(ties > 10, 'ties are exercised');
  });

  test('off the grid, every bool output equals the float comparison of the dequantized inputs (thresholds rounded the right way)', async () => {
    const graph = loadOnnx(bytes);
    const rng = seededRng(8);
    const model = quantizeGraph(graph, parseSettings(settings));
    // Random float32 inputs, and their dequantized values: what the circuit's integers mean.
    const raw = Array.from({ length: 40 }, (): InputSample => new Map(['x', 'z'].map((name) => [name, Float64Array.from({ length: N }, () => Math.fround(rng.uniform(-0.6, 0.6)))])));
    const dequantized = raw.map((s) => {
      const q = quantizeSample(model, s);
      return new Map(model.inputs.map((i) => [i.name, Float64Array.from(q.get(i.tensor)!, (v) => Number(v) / 2 ** i.scaleBits)]));
    });
    const ort = await runOrtFloat(bytes, graph.inputs, dequantized);
    let near = 0;
    raw.forEach((s, k) => {
      const ints = runReference(model, quantizeSample(model, s));
      for (const o of model.outputs.filter((o) => BOOL_OUTPUTS.includes(o.name))) {
        assert.deepEqual(ints[o.tensor].map(Number), Array.from(ort[k].get(o.name)!), `${o.name}, sample ${k}`);
      }
      near += s.get('x')!.filter((v) => Math.abs(v - 0.3) < 2 ** -7).length;
    });
    assert.ok(near > 0, 'inputs within a step of the 0.3 threshold are exercised');
  });

  describe('circuit', () => {
    let dir: string;
    let result: CompileResult;
    before(async () => {
      dir = makeTempDir('logic');
      fs.writeFileSync(`${dir}/model.onnx`, bytes);
      result = await compileModel(`${dir}/model.onnx`, `${dir}/build`, { settings });
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    test('the witness equals the integer reference; the count is pinned and predicted; a flipped bit is rejected', async () => {
      const build = `${dir}/build`;
      const model = readCompiled(build).model;
      assert.equal(result.report.predictedConstraints, result.constraints);
      // Pinned: 2 inputs × 8 × 8 bits (128) + Less, LessOrEqual, Greater, GreaterOrEqual × 8 · NonNegative(8) (4 · 72)
      // + 2 Equal × 8 · EqualsZero (32) + And, Or, Xor × 8 products (24) + 3 Where × 8 products (24)
      // + Sign 8 · (9 + 2) (88) + Floor 8 · Requantize(7, 1) (64) + Ceil 8 · Requantize(7, 2) (72) + Not, the
      // constant Xor and Where: 0, but for one constant public output (1).
      assert.equal(result.constraints, 713);
      const source = fs.readFileSync(artifactPath(build, 'circuitSource'), 'utf8');
      assert.match(source, /NonNegative\(\d+\)/);
      assert.match(source, /EqualsZero\(\)/);
      const rng = seededRng(9);
      // Each bool output (wires 1 .. 8·N) flipped alone.
      await checkWitnesses(
        model,
        build,
        Array.from({ length: 6 }, () => gridSample(rng)),
        { wires: BOOL_OUTPUTS.length * N, change: (v) => 1n - v },
      );
    });
  });

  test('a number where a bool is needed is refused, naming the node', () => {
    const bad = writeOnnx({
      name: 'bad-not',
      inputs: [{ name: 'x', elemType: 'float32', shape: [1, 4] }],
      outputs: [{ name: 'y', elemType: 'float32', shape: [1, 4] }],
      nodes: [n('Not', ['x'], 'not_x'), toFloat('not_x', 'y')],
    });
    const err = expectCode(() => quantizeGraph(loadOnnx(bad), parseSettings(settings)), 'ONNX_UNSUPPORTED_OP');
    assert.match(err.message, /not_x.*not a bool/);
  });
});
