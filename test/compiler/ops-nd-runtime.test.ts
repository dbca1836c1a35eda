/**
 * GatherND and ScatterND by indices computed at run time, ScatterND's add and mul (run-time and
 * constant indices), ScatterElements' add and mul, and BitShift by a run-time amount (docs/logic.md, "Indices computed at run
 * time"). On exactly represented inputs the float semantics and the integer model equal
 * onnxruntime exactly, negative and repeated indices included; the witness (circom and direct
 * backends) equals the integer reference, the constraint count is pinned and predicted, a changed
 * output is rejected, the soundness audit refuses every mutation, and an index (or a shift amount)
 * out of range has no witness. Unsupported variants are refused by name.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { auditBuild } from '../../src/audit/audit';
import { CompileResult, compileModel } from '../../src/compiler/compile';
import { computeWitness } from '../../src/compiler/r1cs-check';
import { artifactPath } from '../../src/formats/artifacts';
import { readCompiled } from '../../src/formats/compiled-model';
import type { InputSample } from '../../src/formats/input-document';
import { parseSettings } from '../../src/formats/settings';
import { loadOnnx } from '../../src/onnx/load';
import { InitializerSpec, NodeSpec, writeOnnx } from '../../src/onnx/writer';
import { circuitInput, quantizeSample } from '../../src/quantize/codec';
import { quantizeGraph } from '../../src/quantize/quantize';
import { runReference } from '../../src/quantize/reference';
import { assertExactlyOrt } from '../helpers/float-vs-ort';
import { checkWitnesses } from '../helpers/compiled-circuit-check';
import { expectCode, makeTempDir, seededRng } from '../helpers/onnx-builders';

const node = (opType: string, inputs: string[], output: string, attributes: NodeSpec['attributes'] = {}): NodeSpec => ({ opType, name: output, inputs, outputs: [output], attributes });
const int64 = (name: string, dims: number[], data: number[]): InitializerSpec => ({ name, dims, data, elemType: 'int64' });
const u8 = (name: string, data: number[]): InitializerSpec => ({ name, dims: [data.length], data: Uint8Array.from(data), elemType: 'uint8' });

/**
 * GatherND of x [2, 3, 4] by tuples gi [2, 2] (batch_dims 0) and by bi [2, 1, 1] (batch_dims 1);
 * ScatterND into y [3, 2] of u [2, 2] at si [2, 1] with none, add and mul, and at the constant
 * [[1], [−2]] (both row 1) with add and mul; a uint8 a shifted RIGHT by b, and its high nibble
 * LEFT by c's top two bits; constants shifted RIGHT by b; ScatterElements add and mul of u into y
 * along axis 0 at ei [2, 2]; GatherND of a constant table and ScatterND into constant zeros by si.
 */
function model(): Uint8Array {
  return writeOnnx({
    name: 'nd-runtime',
    opset: 16,
    inputs: [
      { name: 'x', elemType: 'float32', shape: [2, 3, 4] },
      { name: 'gi', elemType: 'int64', shape: [2, 2] },
      { name: 'bi', elemType: 'int64', shape: [2, 1, 1] },
      { name: 'y', elemType: 'float32', shape: [3, 2] },
      { name: 'si', elemType: 'int64', shape: [2, 1] },
      { name: 'u', elemType: 'float32', shape: [2, 2] },
      { name: 'a', elemType: 'uint8', shape: [4] },
      { name: 'b', elemType: 'uint8', shape: [4] },
      { name: 'c', elemType: 'uint8', shape: [4] },
      { name: 'ei', elemType: 'int64', shape: [2, 2] },
    ],
    outputs: [
      { name: 'g', elemType: 'float32', shape: [2, 4] },
      { name: 'gb', elemType: 'float32', shape: [2, 1, 4] },
      { name: 'sn', elemType: 'float32', shape: [3, 2] },
      { name: 'sa', elemType: 'float32', shape: [3, 2] },
      { name: 'sm', elemType: 'float32', shape: [3, 2] },
      { name: 'ca', elemType: 'float32', shape: [3, 2] },
      { name: 'cm', elemType: 'float32', shape: [3, 2] },
      { name: 'right', elemType: 'uint8', shape: [4] },
      { name: 'left', elemType: 'uint8', shape: [4] },
      { name: 'kr', elemType: 'uint8', shape: [4] },
      { name: 'ea', elemType: 'float32', shape: [3, 2] },
      { name: 'em', elemType: 'float32', shape: [3, 2] },
      { name: 'gc', elemType: 'float32', shape: [2, 2] },
      { name: 'sz', elemType: 'float32', shape: [3, 2] },
    ],
    initializers: [
      int64('C', [2, 1], [1, -2]),
      u8('four', [4]),
      u8('six', [6]),
      u8('K', [200, 3, 255, 16]),
      { name: 'T', dims: [3, 2], data: Float32Array.of(0.5, -1.25, 2, 3.75, -0.5, 1) },
      { name: 'Z', dims: [3, 2], data: new Float32Array(6) },
    ],
    nodes: [
      node('GatherND', ['x', 'gi'], 'g'),
      node('GatherND', ['x', 'bi'], 'gb', { batch_dims: 1 }),
      node('ScatterND', ['y', 'si', 'u'], 'sn'),
      node('ScatterND', ['y', 'si', 'u'], 'sa', { reduction: 'add' }),
      node('ScatterND', ['y', 'si', 'u'], 'sm', { reduction: 'mul' }),
      node('ScatterND', ['y', 'C', 'u'], 'ca', { reduction: 'add' }),
      node('ScatterND', ['y', 'C', 'u'], 'cm', { reduction: 'mul' }),
      node('BitShift', ['a', 'b'], 'right', { direction: 'RIGHT' }),
      node('BitShift', ['a', 'four'], 'nibble', { direction: 'RIGHT' }),
      node('BitShift', ['c', 'six'], 'top', { direction: 'RIGHT' }),
      node('BitShift', ['nibble', 'top'], 'left', { direction: 'LEFT' }),
      node('BitShift', ['K', 'b'], 'kr', { direction: 'RIGHT' }),
      node('ScatterElements', ['y', 'ei', 'u'], 'ea', { axis: 0, reduction: 'add' }),
      node('ScatterElements', ['y', 'ei', 'u'], 'em', { axis: 0, reduction: 'mul' }),
      node('GatherND', ['T', 'si'], 'gc'), // a constant table: the selection is free
      node('ScatterND', ['Z', 'si', 'u'], 'sz'), // into constant zeros
    ],
  });
}

const pick = (rng: ReturnType<typeof seededRng>, lo: number, hi: number) => lo + Math.floor(rng.next() * (hi - lo + 1));

/**
 * Inputs on the 1/4 grid (a product of three stays exact at the input scale), indices over
 * [−s, s) of each axis (negative ones and repeats included), RIGHT shift amounts in [0, 8).
 */
function sample(rng: ReturnType<typeof seededRng>, distinct = false): InputSample {
  const grid = (n: number) => Float64Array.from({ length: n }, () => pick(rng, -4, 4) / 4);
  const s0 = pick(rng, -3, 2);
  let s1 = pick(rng, -3, 2);
  while (distinct && (s1 + 3) % 3 === (s0 + 3) % 3) s1 = pick(rng, -3, 2);
  return new Map([
    ['x', grid(24)],
    ['gi', Float64Array.of(pick(rng, -2, 1), pick(rng, -3, 2), pick(rng, -2, 1), pick(rng, -3, 2))],
    ['bi', Float64Array.of(pick(rng, -3, 2), pick(rng, -3, 2))],
    ['y', grid(6)],
    ['si', Float64Array.of(s0, s1)],
    ['u', grid(4)],
    ['a', Float64Array.from({ length: 4 }, () => pick(rng, 0, 255))],
    ['b', Float64Array.from({ length: 4 }, () => pick(rng, 0, 7))],
    ['c', Float64Array.from({ length: 4 }, () => pick(rng, 0, 255))],
    ['ei', Float64Array.from({ length: 4 }, () => pick(rng, -3, 2))],
  ]);
}

describe('GatherND, ScatterND and BitShift with run-time indices', () => {
  const bytes = model();
  const settings = { inputRange: [-1, 1] as [number, number] };

  test('float semantics and the integer model equal onnxruntime exactly, negative and repeated indices included', async () => {
    const graph = loadOnnx(bytes);
    const rng = seededRng(21);
    const samples = Array.from({ length: 40 }, () => sample(rng));
    const q = quantizeGraph(graph, parseSettings(settings), samples);
    await assertExactlyOrt(bytes, graph, q, samples);
    const repeats = samples.filter((s) => {
      const [s0, s1] = s.get('si')!;
      return (s0 + 3) % 3 === (s1 + 3) % 3;
    }).length;
    assert.ok(repeats > 3, 'repeated ScatterND indices are exercised');
  });

  for (const backend of ['circom', 'direct'] as const) {
    describe(`circuit (${backend})`, () => {
      let dir: string;
      let result: CompileResult;
      before(async () => {
        dir = makeTempDir(`nd-runtime-${backend}`);
        fs.writeFileSync(`${dir}/model.onnx`, bytes);
        result = await compileModel(`${dir}/model.onnx`, `${dir}/build`, { backend, settings });
      });
      after(() => fs.rmSync(dir, { recursive: true, force: true }));

      test('the witness equals the integer reference; the count is pinned and predicted; a changed output is rejected', async () => {
        const build = `${dir}/build`;
        const compiled = readCompiled(build).model;
        assert.equal(result.report.predictedConstraints, result.constraints);
        assert.equal(result.constraints, EXPECTED_CONSTRAINTS);
        const rng = seededRng(22);
        await checkWitnesses(
          compiled,
          build,
          Array.from({ length: 4 }, () => sample(rng)),
        );
      });

      test('an index or a shift amount out of range has no witness (the integer reference refuses it by code)', async () => {
        const build = `${dir}/build`;
        const compiled = readCompiled(build).model;
        const base = sample(seededRng(23));
        const bad: Array<[string, number, number]> = [
          ['gi', 0, 2],
          ['gi', 1, -4],
          ['bi', 1, 3],
          ['si', 0, 3],
          ['si', 1, -4],
          ['b', 2, 8],
          ['ei', 3, 3],
        ];
        for (const [input, at, value] of bad) {
          const s = new Map([...base].map(([k, v]) => [k, Float64Array.from(v)]));
          s.get(input)![at] = value;
          const q = quantizeSample(compiled, s);
          expectCode(() => runReference(compiled, q), 'INPUT_OUT_OF_RANGE');
          await assert.rejects(computeWitness(circuitInput(compiled, q), artifactPath(build, 'wasm')), `${input}[${at}] = ${value}`);
        }
      });
    });
  }

  test('the soundness audit refuses every mutation', async (t) => {
    const work = makeTempDir('nd-runtime-audit');
    try {
      fs.writeFileSync(path.join(work, 'model.onnx'), bytes);
      const build = path.join(work, 'build');
      await compileModel(path.join(work, 'model.onnx'), build, { settings });
      const s = sample(seededRng(24));
      const input = { input_data: [...s.values()].map((v) => Array.from(v)) };
      const report = await auditBuild(build, input, { perClass: 300 });
      assert.equal(report.forgeries, 0, JSON.stringify(report.classes.filter((c) => c.accepted.length > 0)));
      t.diagnostic(`${report.constraints} constraints; tried ${report.classes.map((c) => `${c.mutationClass} ${c.tried}`).join(', ')}`);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });

  const single = (n: NodeSpec, inputs: Array<{ name: string; elemType: 'float32' | 'int64'; shape: number[] }>, inits: InitializerSpec[] = []) =>
    writeOnnx({
      name: 'bad-nd',
      opset: 18,
      inputs,
      outputs: [{ name: 'y', elemType: 'float32', shape: [2, 3] }],
      initializers: inits,
      nodes: [n],
    });
  const x = { name: 'x', elemType: 'float32' as const, shape: [2, 3] };

  test('unsupported variants are refused, naming the node, the op and the attribute', () => {
    let err = expectCode(() => loadOnnx(single(node('ScatterND', ['x', 'I', 'x'], 'y', { reduction: 'max' }), [x], [int64('I', [2, 1], [0, 1])])), 'ONNX_UNSUPPORTED_ATTRIBUTE');
    assert.match(err.message, /'y' \(ScatterND\).*reduction="max"/);
    assert.equal(err.details?.attribute, 'reduction');
    err = expectCode(() => loadOnnx(single(node('ScatterElements', ['x', 'I', 'x'], 'y', { reduction: 'min' }), [x], [int64('I', [2, 3], [0, 1, 0, 1, 0, 1])])), 'ONNX_UNSUPPORTED_ATTRIBUTE');
    assert.match(err.message, /'y' \(ScatterElements\).*reduction="min"/);
    assert.equal(err.details?.attribute, 'reduction');
    err = expectCode(() => loadOnnx(single(node('GatherND', ['x', 'i'], 'y', { batch_dims: 2 }), [x, { name: 'i', elemType: 'int64', shape: [2, 1] }])), 'ONNX_UNSUPPORTED_ATTRIBUTE');
    assert.match(err.message, /'y' \(GatherND\).*batch_dims/);
    // Float indices computed at run time are not known to hold integers.
    const floatIndices = single(node('GatherND', ['x', 'f'], 'y'), [x, { name: 'f', elemType: 'float32', shape: [2, 1] }]);
    err = expectCode(() => quantizeGraph(loadOnnx(floatIndices), parseSettings(settings)), 'ONNX_UNSUPPORTED_OP');
    assert.match(err.message, /'y' \(GatherND\).*not known to hold integers/);
  });
});

// Pinned (both backends; docs/logic.md, "Indices computed at run time"): the inputs' range checks (464:
// 8 bits per element; the float inputs sit at scale 6), then per node —
//   g  GatherND by 2 run-time tuples over [2, 3] of a run-time x: each coordinate's range check and wrap
//      (2 · 4 + 2 · 6), 6 cells' EqualsZero bits (2 · 12), 6 products per output element (8 · 6): 92;
//   gb GatherND batch_dims 1, one coordinate over 3: 2 · 6 + 2 · 6 + 8 · 3 = 48;
//   sn, sa ScatterND none and add, 2 tuples over 3 rows of y [3, 2]: 2 · 6 + 2 · 6 + 2 · 6 products = 36 each;
//   sm ScatterND mul: the same 24, 2 products per position and tuple (24) and one rescale of the chain by
//      12 bits (6 · 22): 180;
//   ca ScatterND add at constant indices: linear, 0; cm mul at constant indices: the 2 positions hit,
//      2 products and one rescale (2 + 2 + 2 · 22): 48;
//   right  BitShift RIGHT by a run-time uint8: its range check into [0, 8) (4 · 6), 8 bits (4 · 16),
//          one product and a rescale by 7 per element (4 · 17): 156;
//   nibble, top  constant RIGHT shifts: 32 each; left  LEFT by an amount in [0, 3]: 4 · 8 bits + 4 products = 36;
//   kr  constants shifted RIGHT by b: its range check and bits (88), the selection free;
//   ea, em ScatterElements add and mul, 4 indices over 3: range checks and bits (48), then add: 2 steps of
//      one product per position of the 2 lines (12): 60; mul: 2 products per position and step (24) and
//      one rescale of 22 bits per position (6 · 22): 204;
//   gc GatherND of a constant table by si: its range check and bits (24), the selection free;
//   sz ScatterND into constant zeros by si: 36, as sn;
// and 4 public outputs that are linear in other outputs (cm's positions no tuple hits).
const EXPECTED_CONSTRAINTS = 1576;
